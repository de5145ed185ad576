import { readFileSync } from 'node:fs';

/**
 * Where the machine's CPU went while a bench item ran (issue 14 item 7): the CPU seconds all
 * processes used (`/proc/stat`, every core) minus our own (this process and the children it
 * has waited for, `/proc/self/stat`). On a 2-core machine our subject keeps about one core
 * busy; what other processes used says whether the other core was free, which decides
 * whether a loop-delay or throughput figure of that moment means anything.
 *
 * Linux only; elsewhere every reading is `undefined` and the bench says so.
 */

/** USER_HZ: the unit of /proc's tick counts (100 on every Linux architecture Node runs on). */
const TICKS_PER_S = 100;

export interface CpuSnapshot {
  atMs: number;
  /** Busy CPU seconds of the whole machine (all cores, all processes) since boot. */
  machineBusyS: number;
  /** CPU seconds of this process plus its waited-for children. */
  ownS: number;
}

function machineBusyS(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0]! + f[1]! + f[2]! + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / TICKS_PER_S;
}

/** utime + stime + cutime + cstime of this process, in seconds. */
export function ownCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14, so f[11]; stime f[12]; cutime f[13]; cstime f[14]
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_S;
}

/** CPU seconds of the children this process has waited for (cutime + cstime). */
export function childrenCpuS(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    return { atMs: performance.now(), machineBusyS: machineBusyS(), ownS: ownCpuS() };
  } catch {
    return undefined;
  }
}

export interface OthersCpu {
  /** CPU seconds other processes used between the two snapshots. */
  others_cpu_s: number;
  /** The same as an average number of busy cores (2 = both cores of a 2-core machine). */
  others_cores: number;
  wall_s: number;
}

export function othersCpu(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): OthersCpu | undefined {
  if (!a || !b) return undefined;
  const wall = (b.atMs - a.atMs) / 1000;
  // tick counts are sampled at different moments: a few ticks of noise can make it negative
  const others = Math.max(0, b.machineBusyS - a.machineBusyS - (b.ownS - a.ownS));
  return { others_cpu_s: others, others_cores: wall > 0 ? others / wall : 0, wall_s: wall };
}

/** Measures `fn` and what other processes used while it ran. */
export async function withOthersCpu<T>(fn: () => Promise<T> | T): Promise<{ value: T; others: OthersCpu | undefined }> {
  const a = cpuSnapshot();
  const value = await fn();
  return { value, others: othersCpu(a, cpuSnapshot()) };
}
