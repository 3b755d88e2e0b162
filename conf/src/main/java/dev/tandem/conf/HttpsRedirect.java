package dev.tandem.conf;

import java.util.OptionalInt;

/**
 * {@code redirect_https}: a plaintext listener that sends every client to the same host and path over https.
 *
 * @param port the port written in the Location header; empty for the https default (443, left out)
 */
public record HttpsRedirect(OptionalInt port) {
}
