package io.tla.platform.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Readiness of the parts of a process. Each role registers a check; the process is ready when every check is.
 * Checks must be cheap (they run on every {@code /health/ready} request) and must not throw.
 */
public final class Health {

    /** One part's state with a short reason for operators. */
    public record Check(boolean ready, String detail) {
        public Check {
            // /health/ready renders detail with Map.of, which rejects null: a check without a reason would
            // otherwise turn the readiness answer into a 500.
            detail = detail == null ? "" : detail;
        }

        public static Check ready(String detail) {
            return new Check(true, detail);
        }

        public static Check notReady(String detail) {
            return new Check(false, detail);
        }
    }

    private final Map<String, Supplier<Check>> checks = new ConcurrentHashMap<>();

    public void register(String component, Supplier<Check> check) {
        checks.put(component, check);
    }

    public Map<String, Check> evaluate() {
        Map<String, Check> result = new LinkedHashMap<>();
        checks.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
            Check check;
            try {
                check = entry.getValue().get();
                if (check == null) {
                    check = Check.notReady("check returned no state");
                }
            } catch (RuntimeException e) {
                check = Check.notReady("check failed: " + e.getClass().getSimpleName());
            }
            result.put(entry.getKey(), check);
        });
        return result;
    }

    public boolean ready() {
        return !checks.isEmpty() && evaluate().values().stream().allMatch(Check::ready);
    }
}
