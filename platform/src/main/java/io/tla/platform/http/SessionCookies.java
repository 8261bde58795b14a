package io.tla.platform.http;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Set;

/**
 * The management listener's session cookie: an HS256-signed JWT (Nimbus signs and verifies it) naming who signed in,
 * how, and until when. The key is the process's own (random unless configured), so a cookie is good only here.
 */
final class SessionCookies {

    private static final String ISSUER = "tla-management";
    static final int MIN_KEY_BYTES = 32;

    /** Who a valid cookie speaks for. {@code method} is {@code token} or {@code entra}. */
    record Session(String subject, String method, Instant expiresAt) {
    }

    private final byte[] key;
    private final Duration ttl;
    private final Clock clock;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    SessionCookies(byte[] key, Duration ttl, Clock clock) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the session key must be at least " + MIN_KEY_BYTES + " bytes");
        }
        this.key = key.clone();
        this.ttl = ttl;
        this.clock = clock;
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(this.key)));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(new JWTClaimsSet.Builder().issuer(ISSUER).build(),
                Set.of("sub", "exp", "iat", "amr")) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        });
    }

    Duration ttl() {
        return ttl;
    }

    String issue(String subject, String method) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject(subject).claim("amr", method)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the session cookie", e);
        }
        return jwt.serialize();
    }

    /** The session a cookie value carries when its signature, issuer and expiry hold; empty otherwise. */
    Optional<Session> verify(String value) {
        if (value == null || value.isBlank() || value.length() > 4096) {
            return Optional.empty();
        }
        try {
            // Nimbus's leeway (60 s) on exp is fine for a session of hours.
            JWTClaimsSet claims = processor.process(value, null);
            return Optional.of(new Session(claims.getSubject(), claims.getStringClaim("amr"),
                    claims.getExpirationTime().toInstant()));
        } catch (ParseException | BadJOSEException | JOSEException e) {
            return Optional.empty();
        }
    }
}
