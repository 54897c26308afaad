/**
 * Which object template a user gets, as `tally apply` checks it: a User's templateRef must name an
 * object template (in the files or stored), and at most one template is the default.
 */
import { join } from 'node:path';
import { loadConfigFiles } from '../../../src/config/load-config';
import { problemLines, validTemplate, writeConfigDir } from './helpers';

const lineOf = (content: string, text: string): number => content.split('\n').findIndex((l) => l.includes(text)) + 1;

describe('tally apply: templateRef and the default object template', () => {
  it('accepts a templateRef to a template in the files, by name, and a default template', () => {
    const content = `${validTemplate}default: true\n---\nkind: User\nname: will\ntemplateRef: Default\n`;
    const { objects } = loadConfigFiles([writeConfigDir({ 'all.yaml': content })]);
    expect(objects.map((o) => [o.object.kind, 'templateRef' in o.object ? o.object.templateRef : undefined, 'default' in o.object ? o.object.default : undefined])).toEqual([
      ['ObjectTemplate', undefined, true],
      ['User', 'Default', undefined],
    ]);
  });

  it('rejects a templateRef to an unknown template with file:line: field', () => {
    const content = 'kind: User\nname: will\ntemplateRef: Nobody Template\n';
    const dir = writeConfigDir({ 'will.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'will.yaml')}:${lineOf(content, 'templateRef')}: templateRef: no object template with oid or name "Nobody Template" in these files or in the repository`,
    ]);
    // A stored template of that name is enough.
    expect(loadConfigFiles([dir], { known: [{ kind: 'ObjectTemplate', oid: 't-1', name: 'Nobody Template' }] }).objects).toHaveLength(1);
  });

  it('rejects a templateRef that names a role', () => {
    const content = 'kind: Role\nname: Captain\n---\nkind: User\nname: will\ntemplateRef: Captain\n';
    const dir = writeConfigDir({ 'all.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'all.yaml')}:${lineOf(content, 'templateRef')}: templateRef: expected a reference to a object template, found "Captain", which is the role "Captain"`,
    ]);
  });

  it('rejects a second default template, in the files or against a stored one', () => {
    const a = 'kind: ObjectTemplate\nname: First\ndefault: true\n';
    const b = 'kind: ObjectTemplate\nname: Second\ndefault: true\n';
    const dir = writeConfigDir({ 'a.yaml': a, 'b.yaml': b });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'b.yaml')}:3: default: only one object template can be the default; "First" (${join(dir, 'a.yaml')}:3) already is`,
    ]);

    const second = writeConfigDir({ 'b.yaml': b });
    const stored = [{ kind: 'ObjectTemplate' as const, oid: 't-1', name: 'First', default: true }];
    expect(problemLines(() => loadConfigFiles([second], { known: stored }))).toEqual([
      `${join(second, 'b.yaml')}:3: default: only one object template can be the default; "First" (the repository) already is`,
    ]);
    // Re-applying the stored default itself (same oid) is no second default; neither is `default: false`.
    expect(loadConfigFiles([writeConfigDir({ 'a.yaml': `oid: t-1\n${a}` })], { known: stored }).objects).toHaveLength(1);
    expect(loadConfigFiles([writeConfigDir({ 'b.yaml': b.replace('true', 'false') })], { known: stored }).objects).toHaveLength(1);
  });
});
