package io.tla.connectors.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.tla.connectors.ingress.TeamsActivityFixtures.Fixture;
import io.tla.schemas.ContractSchema;
import io.tla.schemas.NormalizedMessage;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every documented payload shape is accepted by the strict parser and normalised to its expected fields. */
class TeamsActivityFixturesTest {

    private static final Instant RECEIVED = Instant.parse("2024-11-13T10:05:00Z");

    static Stream<Fixture> fixtures() {
        return TeamsActivityFixtures.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void normalisesTheFixtureToItsExpectedFields(Fixture fixture) throws Exception {
        NormalizedMessage m = ActivityNormalizer.normalize(ActivityParser.parse(fixture.body()),
                TeamsActivityFixtures.registration(), RECEIVED);

        var expected = fixture.expected();
        TeamsActivityFixtures.assertNormalisedAsExpected(m, expected);
        assertThat(m.registration()).as("registration is the ingress's to set").isNull();
        assertThat(m.replyDeadline()).as("replyDeadline is the ingress's to set").isNull();
        assertThat(ContractSchema.NORMALIZED_MESSAGE.violationsOf(m)).isEmpty();
    }

    @Test
    void everyFixtureFileHasExpectations() {
        assertThat(TeamsActivityFixtures.all().map(Fixture::file).sorted().toList())
                .isEqualTo(TeamsActivityFixtures.files());
    }

    @Test
    void aRetriedActivityNormalisesToTheSameMessageId() throws Exception {
        byte[] body = TeamsActivityFixtures.bytes("teams-retry.json");

        NormalizedMessage first = ActivityNormalizer.normalize(ActivityParser.parse(body),
                TeamsActivityFixtures.registration(), RECEIVED);
        NormalizedMessage second = ActivityNormalizer.normalize(ActivityParser.parse(body),
                TeamsActivityFixtures.registration(), RECEIVED.plusSeconds(5));

        // the topology drops the second by tenant and message id (DuplicateActivityFilter)
        assertThat(second.messageId()).isEqualTo(first.messageId());
        assertThat(second.tenantId()).isEqualTo(first.tenantId());
        assertThat(second.conversationId()).isEqualTo(first.conversationId());
        assertThat(second.text()).isEqualTo(first.text());
    }
}
