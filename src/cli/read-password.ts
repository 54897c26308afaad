/**
 * A password for `tally user set --password`: typed at a prompt that does not echo it, or read from
 * standard input (one line) or from a file (`--password-file`), never from the command line.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function prompt(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** The first line, without its line end. */
const firstLine = (text: string) => text.split(/\r?\n/)[0] ?? '';

export async function readPassword(options: { file?: string }): Promise<string> {
  const password = options.file !== undefined ? firstLine(readFileSync(options.file, 'utf8')) : process.stdin.isTTY ? await prompt('New password: ') : firstLine(await readAll(process.stdin));
  if (password.length === 0) throw new Error(options.file !== undefined ? `no password in ${options.file}` : 'no password given on standard input');
  return password;
}
