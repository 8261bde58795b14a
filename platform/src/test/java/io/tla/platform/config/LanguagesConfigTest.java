package io.tla.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class LanguagesConfigTest {

    private static final String TENANT = "6f1c-ab";
    private static final String CHANNEL = "19:abc123@thread.tacv2";

    @Test
    void channelAndUserLanguagesAndAdminsParsePerTenant() {
        LanguagesConfig languages = LanguagesConfig.from(TlaConfig.of(Map.of(
                "tenant." + TENANT + ".channel-languages", CHANNEL + "=FR+de, 19:def456@thread.skype=pt_br",
                "tenant." + TENANT + ".user-languages", "aad-anna=it,aad-ben=ja+ko+ja",
                "tenant." + TENANT + ".language-admins", "aad-anna, aad-chris",
                "languages.max-users-per-tenant", "250")));

        assertThat(languages.maxUsersPerTenant()).isEqualTo(250);
        assertThat(languages.channelLanguages(TENANT, CHANNEL)).containsExactly("fr", "de");
        assertThat(languages.channelLanguages(TENANT, "19:def456@thread.skype")).containsExactly("pt-BR");
        assertThat(languages.channelLanguages(TENANT, "19:other@thread.tacv2")).isEmpty();
        assertThat(languages.channelLanguages(TENANT, null)).isEmpty();
        assertThat(languages.userLanguages(TENANT, "aad-ben")).containsExactly("ja", "ko");
        assertThat(languages.userLanguages(TENANT, null)).isEmpty();
        assertThat(languages.isLanguageAdmin(TENANT, "aad-chris")).isTrue();
        assertThat(languages.isLanguageAdmin(TENANT, "aad-ben")).isFalse();
        assertThat(languages.isLanguageAdmin(TENANT, null)).isFalse();
        // another tenant's settings never apply, even to the same ids
        assertThat(languages.channelLanguages("other-tenant", CHANNEL)).isEmpty();
        assertThat(languages.isLanguageAdmin("other-tenant", "aad-anna")).isFalse();
    }

    @Test
    void defaultsAreTenThousandPeopleAndNoAdmins() {
        LanguagesConfig languages = LanguagesConfig.from(TlaConfig.of(Map.of()));
        assertThat(languages.maxUsersPerTenant()).isEqualTo(10_000);
        assertThat(languages.tenants()).isEmpty();
        assertThat(languages.isLanguageAdmin(TENANT, "aad-anna")).isFalse();
    }

    @Test
    void badEntriesAreErrorsNamingTheKey() {
        String channels = "tenant." + TENANT + ".channel-languages";
        String users = "tenant." + TENANT + ".user-languages";
        assertInvalid(channels, CHANNEL + "=french", "'french' is not a BCP-47 tag");
        assertInvalid(channels, CHANNEL + "=xx", "'xx' is not a BCP-47 tag");
        assertInvalid(channels, CHANNEL, "CHANNEL_ID=fr+de");
        assertInvalid(channels, "=fr", "CHANNEL_ID=fr+de");
        assertInvalid(channels, CHANNEL + "=", "CHANNEL_ID=fr+de");
        assertInvalid(channels, CHANNEL + "=fr," + CHANNEL + "=de", "named more than once");
        assertInvalid(users, "aad-anna=fr+de+it+es+pt+nl+sv+da+fi+pl+cs", "at most 10 languages per person");
        assertInvalid("tenant." + TENANT + ".language-admins", "aad anna", "AAD object id");
        assertThatThrownBy(() -> LanguagesConfig.from(TlaConfig.of(Map.of("languages.max-users-per-tenant", "-1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("languages.max-users-per-tenant");
    }

    @Test
    void anyReaderOfTheTenantsOverridesStopsOnABadLanguageList() {
        assertThatThrownBy(() -> BudgetConfig.from(TlaConfig.of(Map.of(
                "tenant." + TENANT + ".user-languages", "aad-anna=klingon"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenant." + TENANT + ".user-languages");
    }

    @Test
    void theKeysHaveEnvironmentFormsAndAreKnown() {
        TlaConfig config = TlaConfig.load(null, Map.of(
                "TLA_TENANT_6F1C_AB_CHANNEL_LANGUAGES", CHANNEL + "=fr",
                "TLA_TENANT_6F1C_AB_USER_LANGUAGES", "aad-anna=de",
                "TLA_TENANT_6F1C_AB_LANGUAGE_ADMINS", "aad-anna",
                "TLA_LANGUAGES_MAX_USERS_PER_TENANT", "5"), Map.of());
        assertThat(config.warnings()).isEmpty();
        LanguagesConfig languages = LanguagesConfig.from(config);
        assertThat(languages.channelLanguages(TENANT, CHANNEL)).containsExactly("fr");
        assertThat(languages.userLanguages(TENANT, "aad-anna")).containsExactly("de");
        assertThat(languages.isLanguageAdmin(TENANT, "aad-anna")).isTrue();
        assertThat(languages.maxUsersPerTenant()).isEqualTo(5);
        assertThat(ConfigCatalog.isKnown("tenant." + TENANT + ".channel-languages")).isTrue();
        assertThat(ConfigCatalog.markdownReference()).contains("`tenant.ID.language-admins`")
                .contains("`languages.max-users-per-tenant`");
    }

    private static void assertInvalid(String key, String value, String message) {
        assertThatThrownBy(() -> LanguagesConfig.from(TlaConfig.of(Map.of(key, value))))
                .isInstanceOf(ConfigException.class).hasMessageContaining(key).hasMessageContaining(message);
    }
}
