/**
 * acquireDevice(): one entry point for Chrome (navigator.gpu) and Node (Dawn). It reports which
 * adapter it got, requests the limits the kernels rely on, and never returns a silent null:
 * without WebGPU or an adapter it throws a GpuUnavailableError that says how to fix it.
 */
import { Gpu, type AdapterReport } from './context';
import { GpuUnavailableError } from './errors';

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: skip hardware and use this software Vulkan driver ('lavapipe' or 'swiftshader'). */
  software?: 'lavapipe' | 'swiftshader';
  /** Where the one-line notes (e.g. "using software adapter lavapipe") go; default console.error. */
  log?: (line: string) => void;
}

/** Limits the kernels use, requested at the adapter's maximum rather than WebGPU's defaults. */
const LIMITS_USED = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export async function acquireDevice(options: AcquireOptions = {}): Promise<Gpu> {
  const log = options.log ?? ((line: string) => console.error(line));
  const browserGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (browserGpu && !options.software) {
    const adapter = await browserGpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) {
      throw new GpuUnavailableError(
        'WebGPU is available but no adapter was found. Fix: enable hardware acceleration, or start Chrome with ' +
          '--enable-unsafe-webgpu (and --use-webgpu-adapter=swiftshader for a software adapter).',
      );
    }
    return open(adapter, 'browser', undefined, null);
  }
  if (!isNode) {
    throw new GpuUnavailableError(
      'this browser does not expose WebGPU (navigator.gpu is missing). Fix: use a recent Chrome or Edge over https or ' +
        'http://localhost, or enable WebGPU in the browser flags.',
    );
  }
  return acquireNode(options, log);
}

async function acquireNode(options: AcquireOptions, log: (line: string) => void): Promise<Gpu> {
  // A variable specifier keeps bundlers from pulling Dawn and node:fs into browser builds.
  // Built ESM (dist-lib) needs the file extension; the TypeScript sources (tsx, vitest) have none.
  const dawnModule = import.meta.url.endsWith('.ts') ? './dawn' : './dawn.js';
  const dawn: typeof import('./dawn') = await import(/* @vite-ignore */ dawnModule);
  const userIcd = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  const candidates = dawn.softwareIcds();

  if (!options.software) {
    const { gpu, keepAlive } = await dawn.createDawnGpu();
    const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    // A software adapter found on the default search path is fine too, but an explicit ICD choice is
    // the user's, and lavapipe is preferred over whatever else the loader found only when nothing better exists.
    if (adapter && (userIcd || !adapter.info.isFallbackAdapter || candidates.length === 0)) {
      return open(adapter, 'node-dawn', keepAlive, userIcd ? `VK_ICD_FILENAMES=${userIcd}` : null);
    }
  }
  const wanted = options.software
    ? candidates.filter((c) => c.name.toLowerCase() === options.software)
    : candidates;
  for (const icd of wanted) {
    dawn.useIcd(icd.path);
    const { gpu, keepAlive } = await dawn.createDawnGpu();
    const adapter = await gpu.requestAdapter({ forceFallbackAdapter: false });
    if (adapter) {
      log(`webgpu: no hardware adapter; using the software Vulkan driver ${icd.name} (${icd.path})`);
      return open(adapter, 'node-dawn', keepAlive, icd.name);
    }
  }
  throw new GpuUnavailableError(
    (options.software ? `the software driver '${options.software}' is not installed or was rejected by Dawn. ` : 'no WebGPU adapter found. ') +
      'Fix: install a Vulkan driver. On Debian 12 without a GPU: ' +
      "'apt-get install -t bookworm-backports mesa-vulkan-drivers' (lavapipe, Mesa ≥ 24) or 'apt-get install chromium' " +
      '(ships SwiftShader); or point VK_ICD_FILENAMES at an ICD json.',
  );
}

async function open(adapter: GPUAdapter, runtime: AdapterReport['runtime'], keepAlive: unknown, driverNote: string | null): Promise<Gpu> {
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_USED) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const report: AdapterReport = {
    runtime,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftware(info),
    driver: driverNote,
    features: [...device.features].sort(),
    timestampQuery: device.features.has('timestamp-query'),
    limits: Object.fromEntries(LIMITS_USED.map((name) => [name, device.limits[name]])),
  };
  return new Gpu(device, report, keepAlive);
}

function isSoftware(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.description} ${info.device}`.toLowerCase();
  return (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    /llvmpipe|lavapipe|swiftshader|software/.test(text);
}
