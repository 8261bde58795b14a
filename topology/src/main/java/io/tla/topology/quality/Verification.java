package io.tla.topology.quality;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the checks made of an answer: its {@link Status} and every provider answer checked on the way to it, in
 * order ({@link Attempt}). Telemetry carries both ({@link #telemetry()}); the dashboard's quality panel counts the
 * attempts per provider and model.
 */
public record Verification(Status status, List<Attempt> attempts) {

    /** Nothing checked: the offline provider, or checks turned off. */
    public static final Verification NOT_CHECKED = new Verification(Status.NOT_CHECKED, List.of());

    public Verification {
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
    }

    /** The status of a reply. */
    public enum Status {
        VERIFIED("verified"), UNVERIFIED("unverified"), NOT_CHECKED("not-checked");

        private final String wireName;

        Status(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** What followed a checked answer. */
    public enum Action {
        /** It passed and is the answer. */
        ACCEPTED("accepted"),
        /** It failed; the same provider was asked again with a corrective instruction. */
        RETRIED("retried"),
        /** It failed after its retry; the next provider was asked, or none was left and another answer was kept. */
        FELL_BACK("fell-back"),
        /** It failed and no provider passed: it is the answer, sent marked unverified. */
        KEPT_UNVERIFIED("kept-unverified");

        private final String wireName;

        Action(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** One provider answer that was checked: empty {@code problems} means it passed. */
    public record Attempt(String provider, String model, List<Problem> problems, Action action) {

        public Attempt {
            problems = List.copyOf(problems);
        }

        public Attempt withAction(Action changed) {
            return new Attempt(provider, model, problems, changed);
        }
    }

    public boolean verified() {
        return status == Status.VERIFIED;
    }

    /** The problems of the answer kept unverified; empty otherwise. */
    public List<Problem> problems() {
        return attempts.stream().filter(attempt -> attempt.action() == Action.KEPT_UNVERIFIED)
                .flatMap(attempt -> attempt.problems().stream()).toList();
    }

    /**
     * The verification of an answer joined from parts (a long text's chunks): unverified when any part is,
     * verified when every part is, not checked otherwise; the attempts of every part.
     */
    public static Verification joined(List<Verification> parts) {
        List<Attempt> attempts = new ArrayList<>();
        parts.forEach(part -> attempts.addAll(part.attempts()));
        Status status = parts.stream().anyMatch(part -> part.status() == Status.UNVERIFIED) ? Status.UNVERIFIED
                : !parts.isEmpty() && parts.stream().allMatch(Verification::verified) ? Status.VERIFIED
                : Status.NOT_CHECKED;
        return new Verification(status, attempts);
    }

    /** The {@code attempts} attribute of the {@code model.call} telemetry fact: no text, only names. */
    public List<Map<String, Object>> telemetry() {
        List<Map<String, Object>> list = new ArrayList<>(attempts.size());
        for (Attempt attempt : attempts) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("provider", attempt.provider());
            entry.put("model", attempt.model() == null ? "" : attempt.model());
            entry.put("problems", attempt.problems().stream().map(problem -> problem.check().wireName()).distinct()
                    .toList());
            entry.put("action", attempt.action().wireName());
            list.add(entry);
        }
        return list;
    }
}
