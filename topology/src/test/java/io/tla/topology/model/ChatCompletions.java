package io.tla.topology.model;

import io.tla.platform.config.ModelConfig;
import io.tla.platform.config.TlaConfig;
import io.tla.platform.secrets.Secret;
import io.tla.platform.secrets.SecretStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

/** Chat-completions answers as an OpenAI-compatible server gives them, and the requests the tests send. */
final class ChatCompletions {

    private ChatCompletions() {
    }

    static ModelRequest request(String text, List<String> targets) {
        return new ModelRequest("tenant-a", "conv-a", "m1", text, targets, List.of(), 256, "de", "business", List.of());
    }

    /** A 200 answer whose content is {@code content} (the model's text), with usage. */
    static ResponseDefinitionBuilder answer(String content) {
        return LocalChatServer.json(200, completion(content, true));
    }

    static ResponseDefinitionBuilder translated(String language, String text) {
        return answer("{\"sourceLanguage\":\"de\",\"translations\":[{\"language\":\"" + language + "\",\"text\":\""
                + text + "\"}]}");
    }

    static ResponseDefinitionBuilder status(int code) {
        return LocalChatServer.json(code, "{\"error\":{\"message\":\"upstream says no\"}}");
    }

    static String completion(String content, boolean withUsage) {
        String escaped = content.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"served-model\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + escaped + "\"},\"finish_reason\":\"stop\"}]"
                + (withUsage ? ",\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":30,\"total_tokens\":150}" : "")
                + "}";
    }

    static ModelConfig config(Map<String, String> keys) {
        return ModelConfig.from(TlaConfig.of(keys));
    }

    /** A secret store held in memory. */
    static final class Secrets implements SecretStore {
        final Map<String, Secret> secrets = new ConcurrentHashMap<>();

        Secrets with(Secret secret) {
            secrets.put(secret.name(), secret);
            return this;
        }

        @Override
        public Optional<Secret> get(String name) {
            return Optional.ofNullable(secrets.get(name));
        }

        @Override
        public String locationOf(String name) {
            return "memory:" + name;
        }

        @Override
        public String kind() {
            return "memory";
        }
    }
}
