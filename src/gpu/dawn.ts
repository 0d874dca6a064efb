/**
 * Node only: a `GPU` object from Dawn (the `webgpu` package). Loaded with a dynamic import by
 * device.ts so browser bundles never see it.
 *
 * Dawn needs a Vulkan driver on Linux. On a machine without a hardware adapter we point the
 * Vulkan loader at a software driver before Dawn starts: lavapipe (Mesa ≥ 24) first because it
 * is much faster, then the SwiftShader ICD that Debian's chromium ships.
 */
import { existsSync } from 'node:fs';

const SOFTWARE_ICDS = [
  { name: 'lavapipe', paths: ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'] },
  { name: 'SwiftShader', paths: ['/usr/lib/chromium/vk_swiftshader_icd.json'] },
];

export interface DawnGpu {
  gpu: GPU;
  /** The Dawn instance object; it must outlive every device created from it. */
  keepAlive: unknown;
}

export async function createDawnGpu(): Promise<DawnGpu> {
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (err) {
    throw new Error(`cannot load the 'webgpu' package (Dawn for Node): ${String(err)}. Fix: run 'npm ci' in the project folder.`);
  }
  // WebGPU code refers to GPUBufferUsage and friends as globals, as in a browser.
  Object.assign(globalThis, mod.globals);
  const instance = mod.create([]);
  return { gpu: instance as unknown as GPU, keepAlive: instance };
}

/** Installed software Vulkan drivers, fastest first. */
export function softwareIcds(): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  for (const icd of SOFTWARE_ICDS) {
    const path = icd.paths.find((p) => existsSync(p));
    if (path) found.push({ name: icd.name, path });
  }
  return found;
}

/** Point the Vulkan loader at one ICD; must happen before Dawn enumerates adapters. */
export function useIcd(path: string): void {
  process.env.VK_ICD_FILENAMES = path;
  process.env.VK_DRIVER_FILES = path;
}
