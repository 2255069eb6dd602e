// `npm run -s ops:hash-password -- <name>`: asks for a password (typed twice, hidden), or reads
// it from stdin when piped, and prints the OPS_USERS entry `<name>:scrypt$<salt>$<hash>`, so
// the password itself need not sit in the environment.
import { hashOpsPassword, isOpsUserName } from '../lib/auth/ops-credentials';

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve) => {
    let typed = '';
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\u0003' || char === '\u0004') fail('\ncancelled', 130); // Ctrl-C, Ctrl-D
        if (char === '\r' || char === '\n') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          stderr.write('\n');
          resolve(typed);
          return;
        }
        typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  // `echo secret |` adds a newline that is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function readPassword(name: string): Promise<string> {
  if (!process.stdin.isTTY) return readPiped();
  const password = await promptHidden(`password for ${name}: `);
  if (password !== (await promptHidden('again: '))) fail('the two passwords differ; nothing printed');
  return password;
}

const name = process.argv[2];
if (!name || process.argv.length > 3) fail('usage: npm run -s ops:hash-password -- <name>   (the password is asked for, or read from stdin)');
if (!isOpsUserName(name)) fail(`the name "${name}" may use only letters, digits and _ . @ - (1 to 64)`);
const password = await readPassword(name);
if (password === '') fail('the password is empty; nothing printed');
console.log(`${name}:${await hashOpsPassword(password)}`);
