package io.tla.connectors.ingress;

import io.tla.platform.secrets.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Teams outgoing-webhook signature: {@code Authorization: HMAC <base64(HMAC-SHA256(base64-decoded key, raw
 * body))>}. Used by the ingress to verify requests and by {@code ./tla send} and tests to sign them.
 */
public final class HmacSignature {

    public static final String SCHEME = "HMAC";
    /** The shortest key {@code tla webhook} stores: a shorter one is most likely a truncated paste. */
    public static final int MIN_KEY_BYTES = 16;
    private static final String ALGORITHM = "HmacSHA256";

    /** Why a request was or was not accepted; the reason is safe to return to the caller. */
    public enum Outcome {
        VALID("signature valid"),
        MISSING("missing Authorization header"),
        WRONG_SCHEME("Authorization scheme must be HMAC"),
        UNDECODABLE("signature is not valid base64"),
        MISMATCH("signature does not match the request body");

        private final String reason;

        Outcome(String reason) {
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }

        public boolean valid() {
            return this == VALID;
        }
    }

    private final SecretKeySpec key;
    /** A Mac is not thread-safe and costly to look up and key: one per thread, reset by each doFinal. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    private HmacSignature(byte[] keyBytes) {
        if (keyBytes.length == 0) {
            throw new IllegalArgumentException("the webhook signing key is empty");
        }
        this.key = new SecretKeySpec(keyBytes, ALGORITHM);
    }

    /** A signer for a key as Teams shows it (base64). The message never contains the key. */
    public static HmacSignature ofBase64Key(String base64Key) {
        Objects.requireNonNull(base64Key, "base64Key");
        try {
            return new HmacSignature(Base64.getDecoder().decode(base64Key.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the webhook signing key is not valid base64");
        }
    }

    /**
     * Checks that {@code base64Key} is base64 of at least {@link #MIN_KEY_BYTES} bytes; the message says what is
     * wrong without showing the key.
     */
    public static void requireUsableKey(String base64Key) {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(Objects.requireNonNull(base64Key, "base64Key").strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the webhook signing key is not valid base64");
        }
        if (decoded.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the webhook signing key decodes to " + decoded.length
                    + " bytes; expected at least " + MIN_KEY_BYTES + " (copy the whole key Teams shows)");
        }
    }

    /** A signer with a fresh random key: verifies nothing a caller can sign, at the cost of a real check. */
    static HmacSignature random() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new HmacSignature(key);
    }

    /** A signer for a secret holding the base64 key. */
    public static HmacSignature of(Secret secret) {
        try {
            return ofBase64Key(secret.reveal());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("secret " + secret.name() + ": " + e.getMessage());
        }
    }

    /** base64(HMAC-SHA256(key, body)). */
    public String sign(byte[] body) {
        return Base64.getEncoder().encodeToString(mac(body));
    }

    public String sign(String body) {
        return sign(body.getBytes(StandardCharsets.UTF_8));
    }

    /** The complete {@code Authorization} header value for a body. */
    public String authorizationHeader(byte[] body) {
        return SCHEME + " " + sign(body);
    }

    /** Checks an {@code Authorization} header against the raw body bytes, comparing in constant time. */
    public Outcome verify(String authorizationHeader, byte[] body) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            return Outcome.MISSING;
        }
        String header = authorizationHeader.strip();
        int space = header.indexOf(' ');
        // RFC 9110: auth schemes are case-insensitive
        if (space < 0 || !header.substring(0, space).toUpperCase(Locale.ROOT).equals(SCHEME)) {
            return Outcome.WRONG_SCHEME;
        }
        byte[] presented;
        try {
            presented = Base64.getDecoder().decode(header.substring(space + 1).strip());
        } catch (IllegalArgumentException e) {
            return Outcome.UNDECODABLE;
        }
        return MessageDigest.isEqual(mac(body), presented) ? Outcome.VALID : Outcome.MISMATCH;
    }

    private byte[] mac(byte[] body) {
        return macs.get().doFinal(body);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    @Override
    public String toString() {
        return "HmacSignature[key hidden]";
    }
}
