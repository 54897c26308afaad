/**
 * Provisioning's functions have one shape: what they depend on comes first, as `deps` (ProvisioningDeps
 * or a Pick of it), never a bare repository or connector registry. And a resource is found one way.
 */
import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import ts from 'typescript';

const root = join(__dirname, '../../..');
const provisioningDir = join(root, 'src/provisioning');
const provisioningFiles = readdirSync(provisioningDir).filter((f) => f.endsWith('.ts'));

const isExported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Name and first parameter (`name: type`) of every exported function of a file, declared or as an exported const. */
function exportedFunctions(file: string): Array<{ name: string; first: string | null }> {
  const source = ts.createSourceFile(file, readFileSync(join(provisioningDir, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Array<{ name: string; first: string | null }> = [];
  const firstOf = (fn: ts.SignatureDeclarationBase) => (fn.parameters[0] ? fn.parameters[0].getText(source) : null);
  for (const statement of source.statements) {
    if (!isExported(statement)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) found.push({ name: statement.name.text, first: firstOf(statement) });
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) found.push({ name: d.name.getText(source), first: firstOf(d.initializer) });
      }
    }
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('provisioning function shape', () => {
  const functions = provisioningFiles.flatMap((file) => exportedFunctions(file).map((f) => ({ file, ...f })));

  test('there are provisioning functions to check', () => {
    expect(functions.length).toBeGreaterThan(30);
  });

  test('no exported function takes a bare repository, store or connector registry', () => {
    const bare = functions.filter((f) => f.first && /^(repo|registry|connectors)\b|:\s*(Repository|ConnectorRegistry|\{\s*shadows)/.test(f.first));
    expect(bare.map((f) => `${f.file} ${f.name}(${f.first})`)).toEqual([]);
  });

  test('a parameter of type ProvisioningDeps (or a Pick of it) comes first, named deps', () => {
    const misplaced = functions.filter((f) => /ProvisioningDeps/.test(f.first ?? '') !== /^deps\b/.test(f.first ?? ''));
    expect(misplaced.map((f) => `${f.file} ${f.name}(${f.first})`)).toEqual([]);
  });
});

describe('one resource lookup', () => {
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'bench'))];

  test('nothing asks the connector registry for a resource', () => {
    const callers = files.filter((f) => /\bconnectors\.resource\(/.test(readFileSync(f, 'utf8')));
    expect(callers.map((f) => relative(root, f))).toEqual([]);
  });

  test('no resource is searched for by hand in a configuration snapshot (the configuration store is where the lookup is)', () => {
    const byHand = files.filter((f) => !f.includes('/src/repository/') && /\bresources\.find\(/.test(readFileSync(f, 'utf8')));
    expect(byHand.map((f) => relative(root, f))).toEqual([]);
  });
});
