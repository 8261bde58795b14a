package io.tla.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tla.connectors.ingress.HmacSignature;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class RawHttpTest {

    @Test
    void readsAResponsesStatusAndWhetherTheServerClosesAfterIt() throws Exception {
        String keepAlive = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}";
        String closing = "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        ByteArrayInputStream in = new ByteArrayInputStream((keepAlive + closing).getBytes(StandardCharsets.US_ASCII));

        assertThat(RawHttp.readResponse(in)).isEqualTo(new RawHttp.Response(202, false));
        assertThat(RawHttp.readResponse(in)).isEqualTo(new RawHttp.Response(401, true));
        assertThatThrownBy(() -> RawHttp.readResponse(in)).isInstanceOf(EOFException.class);
    }

    @Test
    void aSignedPostHeadCarriesTheBodysSignatureAndLength() {
        HmacSignature signer = HmacSignature.ofBase64Key(Base64.getEncoder().encodeToString(
                "a-webhook-key-of-32-bytes-length".getBytes(StandardCharsets.UTF_8)));
        byte[] body = "{\"type\":\"message\",\"text\":\"Grüße\"}".getBytes(StandardCharsets.UTF_8);

        String head = new String(RawHttp.signedPostHead("127.0.0.1:8080", "/api/messages", body, signer),
                StandardCharsets.US_ASCII);

        assertThat(head).startsWith("POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
                .contains("\r\nAuthorization: " + signer.authorizationHeader(body) + "\r\n")
                .endsWith("\r\nContent-Length: " + body.length + "\r\n\r\n");
    }
}
