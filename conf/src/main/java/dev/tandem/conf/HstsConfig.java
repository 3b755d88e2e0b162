package dev.tandem.conf;

import java.time.Duration;

/**
 * {@code hsts}: the Strict-Transport-Security header of a TLS listener (RFC 6797).
 *
 * @param maxAge            how long a browser keeps to https for the host
 * @param includeSubdomains the rule covers every subdomain too
 * @param preload           the site asks to be on the browsers' built-in list (needs include_subdomains and a
 *                          max_age of at least a year)
 */
public record HstsConfig(Duration maxAge, boolean includeSubdomains, boolean preload) {

    /** The header value, e.g. {@code max-age=31536000; includeSubDomains; preload}. */
    public String headerValue() {
        StringBuilder b = new StringBuilder("max-age=").append(maxAge.toSeconds());
        if (includeSubdomains) {
            b.append("; includeSubDomains");
        }
        if (preload) {
            b.append("; preload");
        }
        return b.toString();
    }
}
