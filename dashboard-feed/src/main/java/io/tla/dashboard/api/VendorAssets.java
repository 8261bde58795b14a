package io.tla.dashboard.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Third-party browser code the page loads, read from webjars on the classpath: the page needs no CDN and no npm
 * at run time, and the version is the one Maven resolved (the parent pom's {@code chartjs.version}).
 */
final class VendorAssets {

    private static final String CHART_JS_POM = "/META-INF/maven/org.webjars.npm/chart.js/pom.properties";

    private VendorAssets() {
    }

    /** Chart.js's UMD bundle (it defines the global {@code Chart}). */
    static byte[] chartJs() {
        String version = webjarVersion(CHART_JS_POM);
        return read("/META-INF/resources/webjars/chart.js/" + version + "/dist/chart.umd.js");
    }

    private static String webjarVersion(String pomProperties) {
        Properties properties = new Properties();
        try (InputStream in = VendorAssets.class.getResourceAsStream(pomProperties)) {
            if (in == null) {
                throw new IllegalStateException("webjar missing from the classpath: " + pomProperties);
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pomProperties, e);
        }
        String version = properties.getProperty("version");
        if (version == null || version.isBlank()) {
            throw new IllegalStateException("no version in " + pomProperties);
        }
        return version;
    }

    private static byte[] read(String resource) {
        try (InputStream in = VendorAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("vendored asset missing from the classpath: " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read vendored asset " + resource, e);
        }
    }
}
