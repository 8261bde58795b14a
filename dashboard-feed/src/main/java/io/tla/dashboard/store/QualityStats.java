package io.tla.dashboard.store;

/**
 * The verification of one provider and model's answers over a range (or, as totals, of all of them): counts of
 * checked answers, of those that passed, of each problem and of what followed, and of the final answers it gave
 * by status. See docs/api.md, {@code GET /api/quality}.
 */
public record QualityStats(String provider, String model, long answers, long passed, long wrongLanguage,
                           long unchanged, long glossaryMiss, long malformed, long retried, long fellBack,
                           long keptUnverified, long verified, long unverified, long notChecked) {

    static QualityStats of(String provider, String model, long[] c) {
        return new QualityStats(provider, model, c[QualityRollups.ANSWERS], c[QualityRollups.PASSED],
                c[QualityRollups.FIRST_PROBLEM], c[QualityRollups.FIRST_PROBLEM + 1],
                c[QualityRollups.FIRST_PROBLEM + 2], c[QualityRollups.FIRST_PROBLEM + 3],
                c[QualityRollups.FIRST_ACTION], c[QualityRollups.FIRST_ACTION + 1], c[QualityRollups.FIRST_ACTION + 2],
                c[QualityRollups.FIRST_VERIFICATION], c[QualityRollups.FIRST_VERIFICATION + 1],
                c[QualityRollups.FIRST_VERIFICATION + 2]);
    }

    /** These counts plus {@code other}'s, under this row's names. */
    QualityStats plus(QualityStats other) {
        return new QualityStats(provider, model, answers + other.answers, passed + other.passed,
                wrongLanguage + other.wrongLanguage, unchanged + other.unchanged, glossaryMiss + other.glossaryMiss,
                malformed + other.malformed, retried + other.retried, fellBack + other.fellBack,
                keptUnverified + other.keptUnverified, verified + other.verified, unverified + other.unverified,
                notChecked + other.notChecked);
    }

    /** {@code count} as a share of the checked answers, to 4 decimals; null without checked answers. */
    public Double rate(long count) {
        return answers == 0 ? null : Math.round(count * 10_000d / answers) / 10_000d;
    }

    public Double passRate() {
        return rate(passed);
    }
}
