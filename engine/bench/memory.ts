import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak resident memory per phase. Linux keeps the high-water mark in /proc/self/status
 * (VmHWM) and resets it when "5" is written to /proc/self/clear_refs, so each phase of the
 * bench gets its own peak; elsewhere the process-lifetime maximum is the best there is.
 * (Sampling with a timer would miss the peaks: onnxruntime-node runs on the JS thread.)
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS in MiB since the last reset (or since start). */
export function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
