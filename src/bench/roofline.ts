/**
 * The roofline a benchmark's numbers are judged against. For known GPUs we state the vendor's
 * FP32 peak and memory bandwidth; for software adapters (lavapipe, SwiftShader) the "GPU" is the
 * CPU, so the peak is estimated from its cores and SIMD width. Either way the source is printed.
 */
import type { AdapterReport } from '../gpu/context';

/** The host CPU, for adapters that run on it: Node reads os.cpus(); a page knows only the core count. */
export interface CpuInfo {
  cores: number;
  ghz: number;
  /** Whether ghz was read from the machine or assumed. */
  measured: boolean;
}

export interface Roofline {
  peakGflops: number;
  peakGBps: number;
  source: string;
}

const KNOWN: { match: RegExp; peakGflops: number; peakGBps: number; name: string }[] = [
  { match: /H100.*(SXM|HBM3)/i, peakGflops: 66_900, peakGBps: 3_350, name: 'NVIDIA H100 SXM (FP32 non-tensor 66.9 TFLOP/s, 3.35 TB/s)' },
  { match: /H100/i, peakGflops: 51_200, peakGBps: 2_000, name: 'NVIDIA H100 PCIe (FP32 non-tensor 51.2 TFLOP/s, 2.0 TB/s)' },
  { match: /H200/i, peakGflops: 66_900, peakGBps: 4_800, name: 'NVIDIA H200 (FP32 non-tensor 66.9 TFLOP/s, 4.8 TB/s)' },
];

export function roofline(adapter: AdapterReport, cpu: CpuInfo): Roofline {
  const text = `${adapter.description} ${adapter.device} ${adapter.architecture}`;
  const known = KNOWN.find((k) => k.match.test(text));
  if (known) return { peakGflops: known.peakGflops, peakGBps: known.peakGBps, source: `stated: ${known.name}` };
  const { cores, ghz } = cpu;
  // AVX2: two 8-wide FMA units per core = 32 FLOP/cycle; DRAM bandwidth per core ~10 GB/s as a rough figure.
  const peakGflops = cores * ghz * 32;
  return {
    peakGflops,
    peakGBps: cores * 10,
    source: `estimated for a CPU-backed adapter: ${cores} cores × ${ghz.toFixed(2)} GHz${cpu.measured ? '' : ' (assumed)'} × 32 FLOP/cycle (AVX2 FMA), ~10 GB/s per core`,
  };
}
