/**
 * Splits a YAML file into documents and keeps, for each, a way to find the line of a path inside it.
 * Syntax errors are reported with their line and without the source excerpt (it may hold a secret).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { ConfigProblem } from './config-error';
import type { PathSegment } from './value-path';

export interface YamlDocument {
  file: string;
  /** Position of the document in its file, counting from 0 (empty documents included). */
  index: number;
  /** Line (1-based) where the document starts. */
  line: number;
  data: unknown;
  /** The line of the deepest node of `path` (a path as written) that exists in the document. */
  lineOf(path: readonly PathSegment[]): number;
}

export function parseYamlDocuments(file: string, text: string): { documents: YamlDocument[]; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  // An empty file parses to an empty list of documents.
  const docs: Document.Parsed[] = [...parseAllDocuments(text, { lineCounter, prettyErrors: true })];
  const problems: ConfigProblem[] = [];
  const documents: YamlDocument[] = [];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        problems.push({
          file,
          line: error.linePos?.[0].line ?? lineAt(error.pos[0]),
          message: `YAML syntax error: ${error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '')}`,
        });
      }
      return;
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) return;
    const start = lineAt(contents.range?.[0] ?? doc.range[0]);
    documents.push({
      file,
      index,
      line: start,
      data: doc.toJS({ maxAliasCount: 100 }),
      lineOf: (path) => lineOfPath(doc, contents, path, lineAt) ?? start,
    });
  });
  return { documents, problems };
}

function lineOfPath(
  doc: Document.Parsed,
  root: Node,
  path: readonly PathSegment[],
  lineAt: (offset: number) => number,
): number | undefined {
  let node: Node | null = root;
  let line = root.range ? lineAt(root.range[0]) : undefined;
  for (const segment of path) {
    if (node && isAlias(node)) node = node.resolve(doc) ?? null;
    if (!node) break;
    if (isMap(node)) {
      const pair: unknown = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!isPair(pair)) break;
      const key = pair.key as Node;
      if (key.range) line = lineAt(key.range[0]);
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      if (item.range) line = lineAt(item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return line;
}
