import { chmod, readFile, writeFile } from 'node:fs/promises';

/** KEY=value lines of a dotenv file (no interpolation); a missing file reads as empty. */
export async function readEnvFile(path: string): Promise<Record<string, string>> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (match) out[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** Sets keys in a dotenv file, keeping its other lines; the file is readable by its owner only. */
export async function writeEnvValues(path: string, values: Record<string, string>): Promise<void> {
  let lines: string[] = [];
  try {
    lines = (await readFile(path, 'utf8')).split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    lines = ['# Written by mb-sync bootstrap. Git-ignored: never commit it.'];
  }
  for (const [key, value] of Object.entries(values)) {
    const line = `${key}=${value}`;
    const index = lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${key}\\s*=`).test(l));
    if (index >= 0) lines[index] = line;
    else lines.push(line);
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}
