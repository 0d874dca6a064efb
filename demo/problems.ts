/**
 * What the pages say when WebGPU cannot be used: the cause, then what to do about it. Shared by
 * the demo and the benchmark page.
 */
import { GpuUnavailableError } from 'hessian-gpu';
import type { Problem } from './view';

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function unavailable(err: unknown): Problem {
  const detail = message(err);
  if (!navigator.gpu) {
    return {
      title: 'WebGPU is not available in this browser',
      detail,
      steps: [
        'Open the page in a recent desktop Chrome or Edge (113 or later); other browsers ship WebGPU only in their newest releases.',
        ...(window.isSecureContext ? [] : ['Serve the page over https:// or from http://localhost: browsers expose WebGPU to secure pages only.']),
        'On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan, or enable chrome://flags/#enable-unsafe-webgpu.',
        'Check chrome://gpu: its WebGPU line should read "Hardware accelerated".',
      ],
    };
  }
  if (err instanceof GpuUnavailableError) {
    return {
      title: 'WebGPU is available, but no GPU adapter was found',
      detail,
      steps: [
        'Turn on "Use graphics acceleration when available" (chrome://settings/system) and restart the browser.',
        'Check chrome://gpu: WebGPU may be blocked for this GPU or driver. Update the driver, or allow it with chrome://flags/#enable-unsafe-webgpu.',
        'Without a usable GPU, start Chrome with --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader for a (slow) software adapter.',
      ],
    };
  }
  return {
    title: 'The GPU device could not be opened',
    detail,
    steps: ['Reload the page.', 'Close other tabs that use the GPU heavily, and update the GPU driver.'],
  };
}
