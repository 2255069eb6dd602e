// Starts the server and workers as child processes and stops them again.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { InfraError, ROOT, sleep } from '../infra/proc';

export const WORKER_NAMES = ['location', 'orders', 'activity', 'archive'] as const;

export interface Service {
  name: string;
  child: ChildProcess;
}

/** `output`: inherit our stdout, or a file descriptor to append the service's logs to. */
export function startService(name: string, script: string, args: string[], env: Record<string, string | undefined>, output: 'inherit' | number = 'inherit'): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', output, output],
    // Own process group: a terminal's Ctrl-C reaches only us, and we stop children in order.
    detached: true,
  });
  return { name, child };
}

export async function waitReady(url: string, service: Service, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new InfraError(`${service.name} exited with code ${service.child.exitCode} while starting`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new InfraError(`${service.name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

export async function stopServices(services: Service[], graceMs = 20_000): Promise<void> {
  await Promise.all(
    services.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
