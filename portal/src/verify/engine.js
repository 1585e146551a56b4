// The verification engine with the schema layout, loaded on demand (its own
// chunk) when a visitor verifies or recounts.
import layout from '../../.gen/schema.js';
export { layout };
export { verifyProofBundle, recountFromLog, chooseKey, bundlePath, newerNote } from './check.js';
export { ed25519Backend } from './ed25519.js';
export { witnessPolicy } from './cosignature.js';
