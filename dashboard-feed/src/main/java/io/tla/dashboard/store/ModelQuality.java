package io.tla.dashboard.store;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@code model.call} fact says about the verification of the model's answers: the final answer's status
 * ({@code verification}) and each checked provider answer ({@code attempts}), in the order they happened.
 *
 * <p>Read tolerantly: problem names and actions this release does not know count in no column (an unknown
 * problem still means the answer did not pass); an attempt that is not an object with a {@code provider} string
 * and a {@code problems} array, or an {@code attempts} attribute that is not an array, is skipped and counted in
 * {@link #skipped()}, never failing the event. At most {@link #MAX_ATTEMPTS} attempts are read per event and
 * names are cut to {@link #MAX_NAME} characters, so one event adds a bounded number of rollup rows.
 *
 * @param verification the final answer's status; null when absent or not one of the known values
 * @param answeredBy   the provider the final status is counted under: the attempt that was sent (accepted or
 *                     kept unverified), else the last attempt, else the {@code model.call}'s own provider
 * @param answeredModel the model of that answer, {@code ""} when not known
 * @param attempts     the checked answers read, at most {@link #MAX_ATTEMPTS}
 * @param skipped      attempts not read (malformed or beyond the bound), plus one for an {@code attempts}
 *                     attribute that is not an array
 */
public record ModelQuality(Verification verification, String answeredBy, String answeredModel,
                           List<Attempt> attempts, int skipped) {

    /** Attempts read per event; a provider chain with one retry each stays far below it. */
    public static final int MAX_ATTEMPTS = 16;
    /** Provider and model names are cut to this many characters. */
    public static final int MAX_NAME = 128;
    /** Problem names read per attempt: four are known, the rest is room for names added later. */
    static final int MAX_PROBLEMS = 16;

    public ModelQuality {
        attempts = List.copyOf(attempts);
    }

    /** The {@code verification} values. */
    public enum Verification {
        VERIFIED("verified"), UNVERIFIED("unverified"), NOT_CHECKED("not-checked");

        final String wire;

        Verification(String wire) {
            this.wire = wire;
        }

        static Verification of(Object value) {
            for (Verification v : values()) {
                if (v.wire.equals(value)) {
                    return v;
                }
            }
            return null;
        }
    }

    /** The problems a check can find. */
    public enum Problem {
        WRONG_LANGUAGE("wrong-language"), UNCHANGED("unchanged"), GLOSSARY_MISS("glossary-miss"),
        MALFORMED("malformed");

        final String wire;

        Problem(String wire) {
            this.wire = wire;
        }

        static Problem of(Object value) {
            for (Problem p : values()) {
                if (p.wire.equals(value)) {
                    return p;
                }
            }
            return null;
        }
    }

    /** What followed a checked answer. */
    public enum Action {
        ACCEPTED("accepted"), RETRIED("retried"), FELL_BACK("fell-back"), KEPT_UNVERIFIED("kept-unverified");

        final String wire;

        Action(String wire) {
            this.wire = wire;
        }

        static Action of(Object value) {
            for (Action a : values()) {
                if (a.wire.equals(value)) {
                    return a;
                }
            }
            return null;
        }
    }

    /**
     * One checked answer.
     *
     * @param passed   no problem was reported (known or not)
     * @param problems the known problems reported
     * @param action   what followed, null when absent or unknown
     */
    public record Attempt(String provider, String model, boolean passed, Set<Problem> problems, Action action) {
        public Attempt {
            problems = problems.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(problems));
        }
    }

    /**
     * The quality facts of a {@code model.call} event's attributes; null when it has neither {@code verification}
     * nor {@code attempts} (events of releases before verification count nothing).
     */
    static ModelQuality of(Map<String, Object> attributes) {
        Object rawVerification = attributes.get("verification");
        Object rawAttempts = attributes.get("attempts");
        if (rawVerification == null && rawAttempts == null) {
            return null;
        }
        List<Attempt> attempts = new ArrayList<>();
        int skipped = 0;
        if (rawAttempts instanceof List<?> list) {
            for (Object item : list) {
                if (attempts.size() >= MAX_ATTEMPTS) {
                    skipped++;
                    continue;
                }
                Attempt attempt = attempt(item);
                if (attempt == null) {
                    skipped++;
                } else {
                    attempts.add(attempt);
                }
            }
        } else if (rawAttempts != null) {
            skipped++;
        }
        Verification verification = Verification.of(rawVerification);
        Attempt sent = null;
        for (Attempt attempt : attempts) {
            if (attempt.action() == Action.ACCEPTED || attempt.action() == Action.KEPT_UNVERIFIED) {
                sent = attempt;
            }
        }
        if (sent == null && !attempts.isEmpty()) {
            sent = attempts.get(attempts.size() - 1);
        }
        String answeredBy = sent != null ? sent.provider() : name(attributes.get("provider"));
        String answeredModel = sent != null ? sent.model() : name(attributes.get("model"));
        return new ModelQuality(verification, answeredBy == null ? "" : answeredBy,
                answeredModel == null ? "" : answeredModel, attempts, skipped);
    }

    /** One attempt, or null when it is not an object with a provider name and a problems array. */
    private static Attempt attempt(Object item) {
        if (!(item instanceof Map<?, ?> map)) {
            return null;
        }
        String provider = name(map.get("provider"));
        if (provider == null || !(map.get("problems") instanceof List<?> problems)) {
            return null;
        }
        String model = name(map.get("model"));
        Set<Problem> known = EnumSet.noneOf(Problem.class);
        int read = 0;
        for (Object problem : problems) {
            if (++read > MAX_PROBLEMS) {
                break;
            }
            Problem p = Problem.of(problem);
            if (p != null) {
                known.add(p);
            }
        }
        return new Attempt(provider, model == null ? "" : model, problems.isEmpty(), known,
                Action.of(map.get("action")));
    }

    /** A non-blank string, cut to {@link #MAX_NAME} characters; null otherwise. */
    private static String name(Object value) {
        if (!(value instanceof String s) || s.isBlank()) {
            return null;
        }
        if (s.length() <= MAX_NAME) {
            return s;
        }
        // never half a surrogate pair: PostgreSQL refuses such text
        int end = Character.isHighSurrogate(s.charAt(MAX_NAME - 1)) ? MAX_NAME - 1 : MAX_NAME;
        return s.substring(0, end);
    }
}
