package io.tla.dashboard.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tla.platform.config.BudgetConfig;
import io.tla.schemas.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * {@code GET /api/tenants}: each tenant's use today and this month against its budget limits (as the topology's
 * budget guard applies them: {@code budget.*} with {@code tenant.ID.budget.*} overrides), and the target languages
 * of its replies today. Spend is the {@code costUsd} of the {@code model.call} events, tokens their input plus
 * output tokens: what the guard settles with. The month's days before today are read once per
 * {@link #MONTH_TTL} (a month of model calls is the expensive part), today's on every request.
 */
public final class TenantsQuery {

    static final int TOP_LANGUAGES = 5;

    private static final String TODAY = "SELECT tenant_id, "
            + "COALESCE(SUM(CASE WHEN type = 'budget.decision' THEN 1 ELSE 0 END), 0), "
            + "COALESCE(SUM(CASE WHEN type = 'reply.emitted' THEN 1 ELSE 0 END), 0), "
            + "COALESCE(SUM(CASE WHEN type = 'model.call' THEN COALESCE(cost_usd, 0) ELSE 0 END), 0), "
            + "COALESCE(SUM(CASE WHEN type = 'model.call' THEN COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) "
            + "ELSE 0 END), 0) "
            + "FROM telemetry_event WHERE at_ms >= ? AND at_ms < ? "
            + "AND type IN ('budget.decision', 'reply.emitted', 'model.call') GROUP BY tenant_id";

    /** The month before today: the slow part (a month of model calls), so it is cached for {@link #MONTH_TTL}. */
    // From the per-minute rollups (model calls' cost only), which outlive the raw events' retention.
    private static final String MONTH_BEFORE_TODAY = "SELECT tenant_id, COALESCE(SUM(cost_usd), 0) "
            + "FROM minute_rollup WHERE minute_ms >= ? AND minute_ms < ? GROUP BY tenant_id";
    /** Earlier days change only when telemetry arrives late (after an outage of the feed): re-read now and then. */
    static final Duration MONTH_TTL = Duration.ofMinutes(5);

    private static final String LANGUAGES = "SELECT tenant_id, attributes FROM telemetry_event "
            + "WHERE at_ms >= ? AND at_ms < ? AND type = 'reply.emitted' AND kind = 'translation'";

    /** One language and how many of the tenant's replies today were translated into it. */
    public record LanguageCount(String language, long replies) {
    }

    /** A tenant's limits and how much of each is used; a ratio is null when its limit is zero. */
    public record Budget(double dailyUsd, Double dailyUsedRatio, Double monthlyUsd, Double monthlyUsedRatio,
                         Long tokensPerDay, Double tokensUsedRatio) {
    }

    public record TenantUse(String tenantId, long messagesToday, long repliesToday, double costTodayUsd,
                            double costMonthUsd, long tokensToday, Budget budget, List<LanguageCount> topLanguages) {
    }

    private record MonthBeforeToday(LocalDate date, long readAtNanos, Map<String, Double> costs) {
    }

    private final BudgetConfig budgets;
    private volatile MonthBeforeToday monthCache;

    public TenantsQuery(BudgetConfig budgets) {
        this.budgets = budgets;
    }

    /**
     * The tenants with {@code budget.decision}, {@code reply.emitted} or {@code model.call} events on {@code date}
     * (UTC) or earlier in its month; busiest (most messages today) first, then by month's cost, then by id.
     */
    public List<TenantUse> run(DataSource reader, LocalDate date) throws SQLException {
        long dayStart = date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long dayEnd = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long monthStart = date.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        Map<String, long[]> counts = new HashMap<>();
        Map<String, Double> costToday = new HashMap<>();
        Map<String, Double> costMonth = new HashMap<>();
        Map<String, Map<String, Long>> languages = new HashMap<>();
        try (Connection connection = reader.getConnection()) {
            try (PreparedStatement statement = connection.prepareStatement(TODAY)) {
                statement.setLong(1, dayStart);
                statement.setLong(2, dayEnd);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        counts.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(5)});
                        costToday.put(rs.getString(1), rs.getDouble(4));
                    }
                }
            }
            costMonth.putAll(monthBeforeToday(connection, date, monthStart, dayStart));
            costToday.forEach((tenant, cost) -> costMonth.merge(tenant, cost, Double::sum));
            try (PreparedStatement statement = connection.prepareStatement(LANGUAGES)) {
                statement.setLong(1, dayStart);
                statement.setLong(2, dayEnd);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Long> perLanguage = languages.computeIfAbsent(rs.getString(1), t -> new HashMap<>());
                        for (String language : languagesOf(rs.getString(2))) {
                            perLanguage.merge(language, 1L, Long::sum);
                        }
                    }
                }
            }
        }
        TreeSet<String> tenants = new TreeSet<>(counts.keySet());
        tenants.addAll(costMonth.keySet());
        List<TenantUse> result = new ArrayList<>();
        for (String tenant : tenants) {
            long[] c = counts.getOrDefault(tenant, new long[3]);
            double today = round(costToday.getOrDefault(tenant, 0.0));
            double month = round(costMonth.getOrDefault(tenant, 0.0));
            result.add(new TenantUse(tenant, c[0], c[1], today, month, c[2], budget(tenant, today, month, c[2]),
                    top(languages.getOrDefault(tenant, Map.of()))));
        }
        result.sort(Comparator.comparingLong(TenantUse::messagesToday).reversed()
                .thenComparing(Comparator.comparingDouble(TenantUse::costMonthUsd).reversed())
                .thenComparing(TenantUse::tenantId));
        return List.copyOf(result);
    }

    private Map<String, Double> monthBeforeToday(Connection connection, LocalDate date, long monthStart, long dayStart)
            throws SQLException {
        MonthBeforeToday cached = monthCache;
        long now = System.nanoTime();
        if (cached != null && cached.date().equals(date) && now - cached.readAtNanos() < MONTH_TTL.toNanos()) {
            return cached.costs();
        }
        Map<String, Double> costs = new HashMap<>();
        if (monthStart < dayStart) {
            try (PreparedStatement statement = connection.prepareStatement(MONTH_BEFORE_TODAY)) {
                statement.setLong(1, monthStart);
                statement.setLong(2, dayStart);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        costs.put(rs.getString(1), rs.getDouble(2));
                    }
                }
            }
        }
        monthCache = new MonthBeforeToday(date, now, Map.copyOf(costs));
        return costs;
    }

    private Budget budget(String tenant, double costToday, double costMonth, long tokensToday) {
        BigDecimal daily = budgets.dailyUsdFor(tenant);
        BigDecimal monthly = budgets.monthlyUsdFor(tenant);
        long tokens = budgets.dailyTokensFor(tenant);
        return new Budget(daily.doubleValue(), ratio(BigDecimal.valueOf(costToday), daily), monthly.doubleValue(),
                ratio(BigDecimal.valueOf(costMonth), monthly), tokens,
                ratio(BigDecimal.valueOf(tokensToday), BigDecimal.valueOf(tokens)));
    }

    /** used / limit to 4 decimals; null for a zero limit (nothing can be spent, so no share of it is used). */
    static Double ratio(BigDecimal used, BigDecimal limit) {
        if (limit.signum() == 0) {
            return null;
        }
        return used.divide(limit, MathContext.DECIMAL64).setScale(4, RoundingMode.HALF_UP).doubleValue();
    }

    /** The target languages of one reply.emitted event: its {@code languages} attribute, "en,fr". */
    static List<String> languagesOf(String attributesJson) {
        if (attributesJson == null) {
            return List.of();
        }
        JsonNode languages;
        try {
            languages = Json.mapper().readTree(attributesJson).get("languages");
        } catch (IOException e) {
            return List.of();
        }
        if (languages == null || !languages.isTextual()) {
            return List.of();
        }
        List<String> result = new ArrayList<>();
        for (String language : languages.asText().split(",")) {
            String trimmed = language.trim().toLowerCase(Locale.ROOT);
            if (!trimmed.isEmpty() && !result.contains(trimmed)) {
                result.add(trimmed);
            }
        }
        return result;
    }

    private static List<LanguageCount> top(Map<String, Long> perLanguage) {
        return perLanguage.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(TOP_LANGUAGES)
                .map(e -> new LanguageCount(e.getKey(), e.getValue()))
                .toList();
    }

    private static double round(double usd) {
        return Math.round(usd * 1_000_000d) / 1_000_000d;
    }

    /** The JSON of one tenant, field by field as documented in docs/api.md. */
    static Map<String, Object> json(TenantUse t) {
        Map<String, Object> budget = new LinkedHashMap<>();
        budget.put("dailyUsd", t.budget().dailyUsd());
        budget.put("dailyUsedRatio", t.budget().dailyUsedRatio());
        budget.put("monthlyUsd", t.budget().monthlyUsd());
        budget.put("monthlyUsedRatio", t.budget().monthlyUsedRatio());
        budget.put("tokensPerDay", t.budget().tokensPerDay());
        budget.put("tokensUsedRatio", t.budget().tokensUsedRatio());
        Map<String, Object> tenant = new LinkedHashMap<>();
        tenant.put("tenantId", t.tenantId());
        tenant.put("messagesToday", t.messagesToday());
        tenant.put("repliesToday", t.repliesToday());
        tenant.put("costTodayUsd", t.costTodayUsd());
        tenant.put("costMonthUsd", t.costMonthUsd());
        tenant.put("tokensToday", t.tokensToday());
        tenant.put("budget", budget);
        tenant.put("topLanguages", t.topLanguages().stream().map(l -> {
            Map<String, Object> language = new LinkedHashMap<>();
            language.put("language", l.language());
            language.put("replies", l.replies());
            return language;
        }).toList());
        return tenant;
    }
}
