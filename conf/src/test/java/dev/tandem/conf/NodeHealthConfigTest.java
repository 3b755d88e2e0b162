package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tandem.conf.NodeHealthConfig.Require;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code node_health}: the rule that decides when this node counts as able to serve. */
class NodeHealthConfigTest {

    private static final String BASE = """
            listeners:
              - name: http
                bind: :80
            upstreams:
              web:
                servers: [{address: "a:1"}]
              api:
                servers: [{address: "b:1"}]
            """;

    private static NodeHealthConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse("t.yaml", BASE + yaml, Path.of("/etc/tandem")).nodeHealth();
    }

    private static void assertErrors(String yaml, String... expected) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("t.yaml", BASE + yaml, Path.of("/etc/tandem")));
        assertEquals(List.of(expected), e.errors().stream().map(ConfigError::toString).toList());
    }

    @Test
    void absentMeansEveryUpstream() throws ConfigException {
        assertEquals(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()), parse(""));
        assertEquals(Defaults.NODE_HEALTH, parse("node_health:\n"));
        assertEquals(Defaults.NODE_HEALTH, parse("node_health: {require: ~}\n"));
    }

    @Test
    void ruleWords() throws ConfigException {
        assertEquals(new NodeHealthConfig(Require.ALL_UPSTREAMS, List.of()), parse("node_health: {require: all-upstreams}\n"));
        assertEquals(new NodeHealthConfig(Require.ANY_UPSTREAM, List.of()), parse("node_health: {require: any-upstream}\n"));
        assertEquals(new NodeHealthConfig(Require.NONE, List.of()), parse("node_health: {require: none}\n"));
    }

    @Test
    void listOfUpstreamNames() throws ConfigException {
        assertEquals(new NodeHealthConfig(Require.LISTED, List.of("api")), parse("node_health: {require: [api]}\n"));
        assertEquals(new NodeHealthConfig(Require.LISTED, List.of("api", "web")),
                parse("node_health:\n  require:\n    - api\n    - web\n"));
    }

    @Test
    void unknownRuleWord() {
        assertErrors("node_health: {require: all}\n",
                "t.yaml:9:24: node_health.require: 'all' (expected: all-upstreams, any-upstream, none, or a list of upstream names)");
    }

    @Test
    void listedListedTwiceUnknownOrEmpty() {
        assertErrors("node_health: {require: [web, wbe, web]}\n",
                "t.yaml:9:30: node_health.require[1]: 'wbe' (expected: one of the upstreams: web, api)",
                "t.yaml:9:35: node_health.require[2]: 'web' (expected: an upstream not already listed)");
        assertErrors("node_health: {require: []}\n",
                "t.yaml:9:24: node_health.require: [] (expected: at least one upstream name)");
    }

    @Test
    void unknownKeyIsSuggested() {
        assertErrors("node_health: {requires: none}\n",
                "t.yaml:9:15: node_health: unknown key 'requires' (did you mean 'require'?)");
        assertErrors("node_helth: {require: none}\n",
                "t.yaml:9:1: unknown key 'node_helth' (did you mean 'node_health'?)");
    }

    @Test
    void aListedRuleNeedsNamesAndOnlyIt() {
        assertThrows(IllegalArgumentException.class, () -> new NodeHealthConfig(Require.LISTED, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new NodeHealthConfig(Require.NONE, List.of("web")));
    }
}
