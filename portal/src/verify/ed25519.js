// Ed25519 verification (RFC 8032): Web Crypto where the browser has it,
// else @noble/curves (audited, bundled; loaded only when needed).
let webCryptoWorks = null;

async function viaWebCrypto(publicKey, message, signature) {
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

let noble = null;
async function viaNoble(publicKey, message, signature) {
  if (!noble) noble = (await import('@noble/curves/ed25519.js')).ed25519;
  try {
    return noble.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

export function ed25519Backend() {
  return webCryptoWorks === false ? '@noble/curves' : webCryptoWorks ? 'Web Crypto' : 'unknown';
}

// Forces the fallback (tests of the @noble path).
export function useNobleOnly() { webCryptoWorks = false; }

export async function verifyEd25519(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (webCryptoWorks !== false && globalThis.crypto?.subtle) {
    try {
      const ok = await viaWebCrypto(publicKey, message, signature);
      webCryptoWorks = true;
      return ok;
    } catch (e) {
      // NotSupportedError: no Ed25519 in this browser. An invalid key also
      // throws; the fallback then refuses it as well.
      if (webCryptoWorks === null) webCryptoWorks = false;
      else return false;
    }
  }
  return viaNoble(publicKey, message, signature);
}
