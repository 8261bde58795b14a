package io.tla.platform.testing;

import com.azure.core.http.HttpClient;
import com.azure.core.http.netty.NettyAsyncHttpClientBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * An Azure SDK HTTP client for local test servers (WireMock's self-signed certificate as Key Vault, Entra ID or
 * Graph): trusts any certificate and skips the host name check. Never for anything but tests.
 */
public final class TrustingHttpClient {

    private TrustingHttpClient() {
    }

    public static HttpClient create() {
        SslContext ssl;
        try {
            ssl = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
        reactor.netty.http.client.HttpClient netty = reactor.netty.http.client.HttpClient.create()
                .secure(spec -> spec.sslContext(ssl).handlerConfigurator(handler -> {
                    SSLParameters parameters = handler.engine().getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm(null);
                    handler.engine().setSSLParameters(parameters);
                }));
        return new NettyAsyncHttpClientBuilder(netty).build();
    }
}
