// nginx (Debian's package) in front of several lastmile servers on one public port.
//
// Requests go round-robin to the servers that answer. socket.io's polling transport sends a
// session's requests one by one, and each must reach the server holding the session: the
// answer to a session's first request carries a cookie naming the server that took it
// (mapped from the upstream's address, so the servers need not know of it), and a request
// with the cookie goes to that server, or to the others if it is down (the client then
// starts a new session there, and the cookie follows). The ingest may be sent on to the
// next server when one fails mid-request: its events carry their ids, and every store
// keeps an event once, so a second delivery changes nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError, ensureCommand, portOpen, waitFor, which } from './proc';

export interface NginxOptions {
  /** Folder for its config, logs and temporary files. */
  dir: string;
  port: number;
  /** The address it listens on (default 127.0.0.1). */
  host?: string;
  /** The servers' ports on 127.0.0.1. */
  backends: number[];
  /** The largest request body passed on (the servers refuse theirs with a 413 of their own). */
  maxBodyBytes?: number;
  /** The OsmAnd protocol's own port, passed to the servers' /osmand (every path: the device's secret is its last segment). */
  osmandPort?: number;
}

export const STICKY_COOKIE = 'lastmile_node';

/** nginx.conf for `options`: one upstream of all servers, and one per server preferring it. */
export function nginxConfig(options: NginxOptions, user?: string): string {
  const { dir, port, backends } = options;
  const servers = backends.map((p) => `127.0.0.1:${p}`);
  const pool = (first: number) =>
    servers.map((s, i) => `    server ${s} max_fails=1 fail_timeout=2s${i === first || first < 0 ? '' : ' backup'};`).join('\n');
  const proxy = (extra: string) => `
      proxy_pass http://$sticky_upstream;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;${extra}`;
  return `# written by scripts/infra/nginx.ts
${user ? `user ${user};\n` : ''}daemon off;
worker_processes 1;
# each proxied request holds two connections (the client's, the server's): room for 8,000 clients
worker_rlimit_nofile 20000;
# a stop waits this long for open connections (sockets, long polls), then closes them
worker_shutdown_timeout 5s;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 16384; }
http {
  access_log off;
  # a batch of events is read in memory, not through a temporary file
  client_body_buffer_size 256k;
  client_body_temp_path ${join(dir, 'tmp/body')};
  proxy_temp_path ${join(dir, 'tmp/proxy')};
  fastcgi_temp_path ${join(dir, 'tmp/fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp/uwsgi')};
  scgi_temp_path ${join(dir, 'tmp/scgi')};
  client_max_body_size ${Math.ceil((options.maxBodyBytes ?? 8 << 20) / 1024) + 64}k;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream lastmile {
${pool(-1)}
    keepalive 512;
  }
${servers
  .map(
    (_, i) => `  upstream lastmile_${i + 1} {
${pool(i)}
    keepalive 32;
  }`,
  )
  .join('\n')}
  # the server a socket.io session's cookie names, else any
  map $cookie_${STICKY_COOKIE} $sticky_upstream {
    default lastmile;
${servers.map((_, i) => `    ${i + 1} lastmile_${i + 1};`).join('\n')}
  }
  # the cookie naming the server that answered (the last one tried)
  map $upstream_addr $sticky_cookie {
    default '';
${servers.map((s, i) => `    "~${s.replaceAll('.', '\\.')}$" "${STICKY_COOKIE}=${i + 1}; Path=/socket.io/; HttpOnly; SameSite=Lax";`).join('\n')}
  }
  server {
    listen ${options.host ?? '127.0.0.1'}:${port};
    location /socket.io/ {${proxy(`
      add_header Set-Cookie $sticky_cookie always;
      proxy_next_upstream error timeout;`)}
    }
    location = /api/events {${proxy(`
      # idempotent: events carry their ids (see the top of scripts/infra/nginx.ts)
      proxy_next_upstream error timeout non_idempotent;`)}
    }
    location / {${proxy(`
      proxy_next_upstream error timeout;`)}
    }
  }${
    options.osmandPort
      ? `
  server {
    listen ${options.host ?? '127.0.0.1'}:${options.osmandPort};
    location / {
      rewrite ^(.*)$ /osmand$1 break;${proxy(`
      # a position carries its fix time: the same one sent twice is one ping
      proxy_next_upstream error timeout non_idempotent;`)}
    }
  }`
      : ''
  }
}
`;
}

export interface Nginx {
  child: ChildProcess;
  url: string;
  /** Stops it gracefully (SIGQUIT: the requests it has are finished), its whole group if that takes too long. */
  stop(): Promise<void>;
  /** SIGKILLs its process group, master and workers. */
  kill(): void;
}

/**
 * Starts nginx in the foreground as our child (its master and worker, in a process group of
 * their own), returns once it listens; `onSpawn` has it before that, so that a stop meanwhile
 * can stop it. A start that fails stops it again.
 */
export async function startNginx(options: NginxOptions, onSpawn?: (nginx: Nginx) => void): Promise<Nginx> {
  ensureCommand('nginx', 'nginx', '/usr/sbin/nginx');
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(options.dir, 'tmp', sub), { recursive: true });
  const conf = join(options.dir, 'nginx.conf');
  // as root, nginx's workers would run as nobody, who cannot write our temporary folders
  writeFileSync(conf, nginxConfig(options, process.getuid?.() === 0 ? 'root' : undefined));
  const log = openSync(join(options.dir, 'stderr.log'), 'a');
  const child = spawn(which('nginx') ?? '/usr/sbin/nginx', ['-p', options.dir, '-c', conf], { stdio: ['ignore', log, log], detached: true });
  const host = !options.host || options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const url = `http://${host}:${options.port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the group: a worker outlives its killed master
    } catch {
      // gone already
    }
  };
  const nginx: Nginx = {
    child,
    url,
    kill,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGQUIT'); // graceful: finishes the requests it has
        setTimeout(kill, 10_000).unref();
      }),
  };
  onSpawn?.(nginx);
  try {
    await waitFor(`nginx on ${url}`, async () => {
      if (exited) throw new InfraError(`nginx exited while starting (see ${join(options.dir, 'error.log')})`);
      return portOpen(options.port, host);
    }, 15_000, join(options.dir, 'error.log'));
  } catch (err) {
    kill();
    throw err;
  }
  return nginx;
}
