package dev.tandem.conf;

import java.util.List;
import java.util.Optional;

/**
 * An HTTP health check.
 *
 * @param host         the Host header sent; empty means the server's address
 * @param expectStatus accepted status codes
 * @param expectBody   a substring the response body must contain
 */
public record HttpCheckConfig(
        String method, String path, Optional<String> host, List<StatusRange> expectStatus, Optional<String> expectBody) {

    public HttpCheckConfig {
        expectStatus = List.copyOf(expectStatus);
    }

    public boolean accepts(int status) {
        for (StatusRange r : expectStatus) {
            if (r.contains(status)) {
                return true;
            }
        }
        return false;
    }
}
