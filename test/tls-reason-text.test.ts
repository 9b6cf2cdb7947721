/**
 * TLS failure reasons in OpenSSL's wording whatever library produced them
 * (OpenSSL on Node, BoringSSL on Bun, rustls on Deno).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { opensslReason } from "../src/tls/reason-text.js";

describe("opensslReason", () => {
  it("keeps OpenSSL's own wording", () => {
    for (const reason of ["no shared cipher", "unsupported protocol", "tlsv13 alert certificate required", "Read timed out"]) {
      assert.equal(opensslReason(reason), reason);
    }
  });

  it("turns BoringSSL reason codes (alone or as a queue entry) into OpenSSL's words", () => {
    assert.equal(opensslReason("NO_SHARED_CIPHER"), "no shared cipher");
    assert.equal(opensslReason("PEER_DID_NOT_RETURN_A_CERTIFICATE"), "peer did not return a certificate");
    assert.equal(opensslReason("TLSV1_ALERT_CERTIFICATE_REQUIRED"), "tlsv13 alert certificate required");
    assert.equal(opensslReason("SSLV3_ALERT_HANDSHAKE_FAILURE"), "sslv3 alert handshake failure");
    assert.equal(
      opensslReason("error:1000042e:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION"),
      "tlsv1 alert protocol version",
    );
    assert.equal(opensslReason("error:1e000065:Cipher functions:OPENSSL_internal:BAD_DECRYPT"), "bad decrypt");
    assert.equal(opensslReason("PFX MAC verification failed - is the passphrase correct?"), "mac verify failure");
  });

  it("turns rustls alerts and Deno's embedded OpenSSL reasons into OpenSSL's words", () => {
    assert.equal(opensslReason("received fatal alert: CertificateRequired"), "tlsv13 alert certificate required");
    assert.equal(opensslReason("received fatal alert: HandshakeFailure"), "sslv3 alert handshake failure");
    assert.equal(opensslReason("received fatal alert: ProtocolVersion"), "tlsv1 alert protocol version");
    assert.equal(opensslReason("peer sent no certificates"), "peer did not return a certificate");
    assert.equal(opensslReason("peer is incompatible: Tls12NotOfferedOrEnabled"), "unsupported protocol");
    assert.equal(opensslReason("peer is incompatible: NoCipherSuitesInCommon"), "no shared cipher");
    assert.equal(
      opensslReason("received corrupt message of type InvalidContentType (SSL routines:ssl3_get_record:wrong version number)"),
      "wrong version number",
    );
  });
});
