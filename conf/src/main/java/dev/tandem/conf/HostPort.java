package dev.tandem.conf;

import java.net.InetSocketAddress;

/**
 * A host (IP literal or DNS name) and a port, as written in the config. Resolution happens where
 * blocking is allowed (config load), never on an event loop.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host: empty (expected: an IP address or a name)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port} or, when {@code defaultPort >= 0}, a bare host.
     *
     * @throws IllegalArgumentException with a message of the form {@code value (expected: ...)}
     */
    public static HostPort parse(String text, int defaultPort) {
        String s = text.trim();
        String host;
        String portText = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw bad(text);
            }
            host = s.substring(1, close);
            if (close + 1 < s.length()) {
                if (s.charAt(close + 1) != ':') {
                    throw bad(text);
                }
                portText = s.substring(close + 2);
            }
            if (!host.contains(":")) {
                throw bad(text);
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0 && s.indexOf(':') != colon) {
                // An unbracketed IPv6 literal has no port.
                host = s;
            } else if (colon >= 0) {
                host = s.substring(0, colon);
                portText = s.substring(colon + 1);
            } else {
                host = s;
            }
        }
        if (host.isEmpty() || !validHost(host)) {
            throw bad(text);
        }
        int port;
        if (portText == null) {
            if (defaultPort < 0) {
                throw new IllegalArgumentException(text + " (expected: host:port, the port is missing)");
            }
            port = defaultPort;
        } else {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(text + " (expected: host:port with a port of 0-65535)");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(text + " (expected: a port of 0-65535)");
            }
        }
        return new HostPort(host, port);
    }

    private static boolean validHost(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':' || c == '_' || c == '%';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException(text + " (expected: host:port, e.g. 10.0.0.21:8000 or [::1]:8000)");
    }

    /** An unresolved socket address; resolve it off the event loops. */
    public InetSocketAddress unresolved() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
