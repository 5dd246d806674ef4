/**
 * Markers of the containers a supervisor has begun to retire (out of rotation, stop signal on its way,
 * then removed): an empty file per id in the project's directory, made before the stop signal goes and
 * removed once the container is gone. A supervisor killed in between leaves them, and its successor
 * finishes those removals: a container that had its stop signal may still run when the successor first
 * looks and exit a moment later, which its restart policy (say "no") would leave as an exited slot.
 * Containers the killed pass only meant to remove (the later replicas of a rolling update) have no
 * marker: they keep running and the successor's own plan replaces them in turn.
 *
 * Written without fsync, synchronously: a killed process loses no file it wrote, and a host crash takes
 * the containers with it.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ID = /^[a-zA-Z0-9_.-]+$/;

export class RetiringMarkers {
  constructor(private readonly dir: string) {}

  /** Never fails the retirement: a marker helps a successor, it is not a condition of the removal. */
  mark(id: string): void {
    if (!ID.test(id)) return;
    const file = join(this.dir, id);
    try {
      writeFileSync(file, '');
    } catch {
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        writeFileSync(file, '');
      } catch {
        // the project's directory is going (down)
      }
    }
  }

  unmark(id: string): void {
    if (!ID.test(id)) return;
    try {
      rmSync(join(this.dir, id), { force: true });
    } catch {
      // left for a successor, which finds the container gone
    }
  }

  /** Ids marked by this supervisor or a predecessor. */
  list(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => ID.test(n));
    } catch {
      return [];
    }
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
