package dev.tandem.node.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.node.admin.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code tandem status} says why and since when a server takes no traffic. */
class StatusWhyTest {

    @Test
    @SuppressWarnings("unchecked")
    void aDownServerHasItsReasonUnderTheTable() throws Exception {
        Map<String, Object> tree = (Map<String, Object>) Json.parse("""
                {"upstreams": [{"name": "web", "servers": [
                  {"address": "10.0.0.21:8000", "state": "up", "weight": 1, "down_reason": null, "down_since": null},
                  {"address": "10.0.0.22:8000", "state": "down", "weight": 1,
                   "down_reason": "health check: refused", "down_since": "2026-12-07T04:09:58Z"}]}]}""");
        String text = StatusCommand.StatusTable.render(tree);
        assertTrue(text.contains("why       web 10.0.0.22:8000: health check: refused (since 2026-12-07T04:09:58Z)"), text);
        assertFalse(text.contains("why       web 10.0.0.21:8000"), text);
    }
}
