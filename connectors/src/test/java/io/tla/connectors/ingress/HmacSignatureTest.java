package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.connectors.ingress.HmacSignature.Outcome;
import io.tla.platform.secrets.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class HmacSignatureTest {

    private static final String KEY = Fixtures.randomKey();
    private static final byte[] BODY = Fixtures.text(Fixtures.GROUP_CHAT).getBytes(StandardCharsets.UTF_8);

    private final HmacSignature signature = HmacSignature.ofBase64Key(KEY);

    /** The Teams scheme computed here with javax.crypto only, independent of the class under test. */
    private static String teamsHeader(String base64Key, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(base64Key), "HmacSHA256"));
        return "HMAC " + Base64.getEncoder().encodeToString(mac.doFinal(body));
    }

    @Test
    void acceptsASignatureComputedIndependentlyWithTheTeamsScheme() throws Exception {
        String header = teamsHeader(KEY, BODY);

        assertThat(signature.verify(header, BODY)).isEqualTo(Outcome.VALID);
        assertThat(signature.authorizationHeader(BODY)).isEqualTo(header);
    }

    @Test
    void acceptsTheKeyFromASecret() throws Exception {
        HmacSignature fromSecret = HmacSignature.of(new Secret("teams-webhook-hmac", KEY, null));

        assertThat(fromSecret.verify(teamsHeader(KEY, BODY), BODY)).isEqualTo(Outcome.VALID);
    }

    @Test
    void rejectsATamperedBody() throws Exception {
        String header = teamsHeader(KEY, BODY);
        byte[] tampered = new String(BODY, StandardCharsets.UTF_8).replace("15h", "16h").getBytes(StandardCharsets.UTF_8);

        assertThat(signature.verify(header, tampered)).isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void rejectsASignatureMadeWithAnotherKey() throws Exception {
        assertThat(signature.verify(teamsHeader(Fixtures.randomKey(), BODY), BODY)).isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void rejectsAMissingHeader() {
        assertThat(signature.verify(null, BODY)).isEqualTo(Outcome.MISSING);
        assertThat(signature.verify("  ", BODY)).isEqualTo(Outcome.MISSING);
    }

    @Test
    void rejectsASignatureWithoutTheHmacPrefix() throws Exception {
        String bare = teamsHeader(KEY, BODY).substring("HMAC ".length());

        assertThat(signature.verify(bare, BODY)).isEqualTo(Outcome.WRONG_SCHEME);
        assertThat(signature.verify("Bearer " + bare, BODY)).isEqualTo(Outcome.WRONG_SCHEME);
    }

    @Test
    void rejectsASignatureThatIsNotBase64() {
        assertThat(signature.verify("HMAC not*base64!", BODY)).isEqualTo(Outcome.UNDECODABLE);
    }

    @Test
    void rejectsATruncatedSignature() throws Exception {
        String header = teamsHeader(KEY, BODY);
        String truncated = "HMAC " + Base64.getEncoder().encodeToString(
                java.util.Arrays.copyOf(Base64.getDecoder().decode(header.substring(5)), 16));

        assertThat(signature.verify(truncated, BODY)).isEqualTo(Outcome.MISMATCH);
    }

    @Test
    void refusesAKeyThatIsNotBase64WithoutShowingIt() {
        assertThatThrownBy(() -> HmacSignature.of(new Secret("teams-webhook-hmac", "sup3r$ecret!", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("teams-webhook-hmac")
                .hasMessageNotContaining("sup3r$ecret!");
        assertThat(signature.toString()).doesNotContain(KEY);
    }

    @Test
    void aUsableKeyIsBase64OfAtLeastSixteenBytesAndTheCheckNeverShowsIt() {
        HmacSignature.requireUsableKey(KEY);
        HmacSignature.requireUsableKey(" " + Base64.getEncoder().encodeToString(new byte[16]) + "\n");

        String short15 = Base64.getEncoder().encodeToString("fifteen-bytes!!".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> HmacSignature.requireUsableKey(short15))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("15 bytes").hasMessageNotContaining(short15);
        assertThatThrownBy(() -> HmacSignature.requireUsableKey("not base64 at all!"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the webhook signing key is not valid base64");
    }
}
