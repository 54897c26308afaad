/** The model is imported by Temporal workflow code: no I/O, no node built-ins, no clock, no randomness. */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

const dir = join(__dirname, '../../../src/model');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('model purity', () => {
  test('there are model files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  test.each(files)('%s imports only schema types, model modules and jexl; reads no clock or randomness', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/(?:from|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const spec of imports) {
      expect(spec.startsWith('./') || spec.startsWith('../schema/') || spec === 'jexl').toBe(true);
    }
    expect(source).not.toMatch(/Date\.now|new Date\(|Math\.random|process\.|setTimeout|setInterval/);
  });
});
