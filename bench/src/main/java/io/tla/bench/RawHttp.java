package io.tla.bench;

import io.tla.connectors.ingress.HmacSignature;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 written and read as bytes, for the load generators: they share the machine with what they measure, so
 * a request costs them no more than copying prepared bytes and reading a status line.
 */
final class RawHttp {

    /** A response's status, and whether the server closes the connection after it. */
    record Response(int status, boolean closes) {
    }

    private RawHttp() {
    }

    /** The head of a signed {@code POST} of a JSON {@code body} to {@code path}; the body follows it as is. */
    static byte[] signedPostHead(String host, String path, byte[] body, HmacSignature signer) {
        return ("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + "Content-Type: application/json; charset=utf-8\r\nAuthorization: "
                + signer.authorizationHeader(body) + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads one response from {@code in} (buffered: it is read a byte at a time up to the body), body skipped. */
    static Response readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int matched = 0; // how much of the blank line's "\r\n\r\n" has been read
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed before the response's head ended");
            }
            head.append((char) b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1
                    : b == '\r' ? 1 : 0;
        }
        String[] lines = head.toString().split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
        long length = 0;
        boolean closes = false;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("content-length:")) {
                length = Long.parseLong(line.substring("content-length:".length()).trim());
            } else if (line.startsWith("connection:") && line.contains("close")) {
                closes = true;
            }
        }
        in.skipNBytes(length);
        return new Response(status, closes);
    }
}
