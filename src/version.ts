/** The engine's version, recorded in results and in the run hashes that guard resumed studies (kept equal to package.json's by a test). */
export const ENGINE_VERSION = '0.1.0';
