/** Only the repository holds MongoDB objects: lint refuses the driver elsewhere, and no source names it. */
import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import { ESLint } from 'eslint';

const root = join(__dirname, '../../..');
// The project's lint configuration, given as is (ESLint's own loading of it needs ES modules, which Jest here lacks).
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: require(join(root, 'eslint.config.js')) });
const importingTheDriver = "import { MongoClient } from 'mongodb';\nexport const client = MongoClient;\n";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

async function lintMessages(file: string): Promise<string[]> {
  const [result] = await eslint.lintText(importingTheDriver, { filePath: join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('no source outside src/repository (but the mongod starter) names the MongoDB driver, not even as a type', () => {
  const naming = sourceFiles(join(root, 'src'))
    .map((f) => relative(root, f))
    .filter((f) => !f.startsWith('src/repository/') && f !== 'src/dev/servers/mongod.ts')
    .filter((f) => /(from\s*|import\(\s*|require\(\s*)['"]mongodb['"]/.test(readFileSync(join(root, f), 'utf8')));
  expect(naming).toEqual([]);
});

test.each(['src/admin/listing.ts', 'src/runtime/services-x.ts', 'src/dev/dev-x.ts', 'test/integration/x.test.ts', 'test/support/x.ts', 'bench/x.bench.ts'])(
  'lint refuses the MongoDB driver in %s, saying where it belongs',
  async (file) => {
    expect(await lintMessages(file)).toEqual([expect.stringMatching(/src\/repository|repository-inspector/)]);
  },
);

test.each(['src/repository/some-store.ts', 'src/dev/servers/mongod.ts', 'test/support/repository-inspector.ts'])('lint lets %s use the driver', async (file) => {
  expect(await lintMessages(file)).toEqual([]);
});
