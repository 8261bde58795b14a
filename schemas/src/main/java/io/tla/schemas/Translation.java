package io.tla.schemas;

/** One translated text in one target language (BCP-47 tag such as {@code en} or {@code pt-BR}). */
public record Translation(String language, String text) {
}
