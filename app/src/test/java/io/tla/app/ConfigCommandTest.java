package io.tla.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConfigCommandTest {

    @Test
    void passwordsInJdbcUrlsAreMaskedAndOtherValuesPrintedAsSet() {
        assertThat(ConfigCommand.printable("jdbc:postgresql://postgres:5432/tla?user=tla&password=s3cr3t&ssl=true"))
                .isEqualTo("jdbc:postgresql://postgres:5432/tla?user=tla&password=***&ssl=true");
        assertThat(ConfigCommand.printable("jdbc:postgresql://tla:s3cr3t@postgres:5432/tla"))
                .isEqualTo("jdbc:postgresql://tla:***@postgres:5432/tla");
        assertThat(ConfigCommand.printable("jdbc:sqlite:./data/dashboard.db")).isEqualTo("jdbc:sqlite:./data/dashboard.db");
        assertThat(ConfigCommand.printable("https://graph.microsoft.com/v1.0")).isEqualTo("https://graph.microsoft.com/v1.0");
        // a kafka.sasl.jaas.config pass-through (the kafka-auth.* keys keep the password out of the configuration)
        assertThat(ConfigCommand.printable("org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"tla\" password=\"s3;cr\\\"3t&x\";"))
                .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tla\" password=***;");
    }
}
