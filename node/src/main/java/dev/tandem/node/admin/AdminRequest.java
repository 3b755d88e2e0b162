package dev.tandem.node.admin;

import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;

/**
 * A request to the admin endpoint, read whole (bodies are small).
 *
 * @param method     upper-case method name
 * @param path       the decoded path, without the query
 * @param params     values of the route's {@code {name}} segments, decoded
 * @param query      decoded query parameters
 * @param body       the body as UTF-8 text, empty when there is none
 * @param headers    the request's headers (what the client accepts: the exposition format of /metrics)
 */
public record AdminRequest(String method, String path, Map<String, String> params, Map<String, List<String>> query,
                           String body, HttpHeaders headers) {

    /** A request without headers. */
    public AdminRequest(String method, String path, Map<String, String> params, Map<String, List<String>> query,
                        String body) {
        this(method, path, params, query, body, EmptyHttpHeaders.INSTANCE);
    }

    /** The value of header {@code name} (case-insensitive), or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** The value of path segment {@code {name}}. */
    public String param(String name) {
        return params.get(name);
    }

    /** The first value of query parameter {@code name}, or null. */
    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
