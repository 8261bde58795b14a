package io.tla.dashboard.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JdbcUrlsTest {

    @Test
    void redactsPasswordsAndUserInfoFromLoggedUrls() {
        assertThat(JdbcUrls.redact("jdbc:postgresql://db:5432/tla?user=tla&password=s3cret"))
                .isEqualTo("jdbc:postgresql://db:5432/tla");
        assertThat(JdbcUrls.redact("jdbc:postgresql://tla:s3cret@db:5432/tla")).isEqualTo("jdbc:postgresql://db:5432/tla");
        assertThat(JdbcUrls.redact("jdbc:sqlite:/var/tla/dashboard.db")).isEqualTo("jdbc:sqlite:/var/tla/dashboard.db");
    }

    @Test
    void rejectsOtherDatabasesWithoutEchoingCredentials() {
        assertThatThrownBy(() -> StoreKind.of("jdbc:mysql://db/tla?password=s3cret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:mysql://db/tla")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void findsTheSqliteFileOrNoneForMemory() {
        assertThat(DashboardStore.sqliteFile("jdbc:sqlite:/data/dashboard.db?foo=1")).hasToString("/data/dashboard.db");
        assertThat(DashboardStore.sqliteFile("jdbc:sqlite::memory:")).isNull();
    }
}
