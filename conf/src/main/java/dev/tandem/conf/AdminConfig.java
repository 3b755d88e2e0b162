package dev.tandem.conf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The admin listener: metrics, status, dashboard and the API.
 *
 * @param token       bearer token the API requires; mandatory when bound to a non-loopback address
 * @param perNodeBind per node name, the address that node binds instead of {@code bind} ({@code per_node: {lb1:
 *                    {bind: ...}}}, as a listener's): the file stays the same on every node, each binds its own
 */
public record AdminConfig(HostPort bind, Optional<String> token, Map<String, HostPort> perNodeBind) {

    public AdminConfig {
        perNodeBind = Collections.unmodifiableMap(new LinkedHashMap<>(perNodeBind));
    }

    public AdminConfig(HostPort bind, Optional<String> token) {
        this(bind, token, Map.of());
    }

    /** The address node {@code node} binds: its own when it has one, else {@code bind}. */
    public HostPort bindFor(String node) {
        return node == null ? bind : perNodeBind.getOrDefault(node, bind);
    }
}
