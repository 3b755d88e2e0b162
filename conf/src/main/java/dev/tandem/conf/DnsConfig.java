package dev.tandem.conf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code cluster.dns}: records of one zone that the nodes point at themselves with RFC 2136 dynamic updates,
 * signed with a TSIG key.
 *
 * @param server   the zone's primary server, which takes the updates
 * @param zone     the zone, absolute and lower case ({@code example.com.})
 * @param tsig     the key the updates are signed with
 * @param holdDown how long a more preferred node must stay healthy and heard before a record moves back to it
 * @param records  the records, each once
 */
public record DnsConfig(HostPort server, String zone, Tsig tsig, Duration holdDown, List<Record> records) {

    /** Where the failover and multi records' names may lie, their TTL range, in whole seconds. */
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    public static final Duration MAX_TTL = Duration.ofDays(1);

    public DnsConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(tsig, "tsig");
        Objects.requireNonNull(holdDown, "holdDown");
        records = List.copyOf(records);
    }

    /** How a record is filled. */
    public enum Mode {
        /** One address: the most preferred node that is healthy and heard. */
        FAILOVER,
        /** Every node that is healthy and heard (several A/AAAA records, as browsers try each). */
        MULTI
    }

    /**
     * @param name      {@code hmac-sha256} and the like, as knot and BIND name them
     * @param secretFile the base64 secret, as {@code keymgr} and {@code tsig-keygen} write it (the bare secret,
     *                   or a file holding a {@code secret "..."} or {@code secret: ...} line)
     */
    public record Tsig(String name, String algorithm, Path secretFile) {
        public Tsig {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(secretFile, "secretFile");
        }
    }

    /**
     * @param name   absolute, inside the zone
     * @param ttl    whole seconds, {@link #MIN_TTL}-{@link #MAX_TTL}
     * @param prefer the nodes that may be in the record, most preferred first
     */
    public record Record(String name, Duration ttl, Mode mode, List<String> prefer) {
        public Record {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(ttl, "ttl");
            Objects.requireNonNull(mode, "mode");
            prefer = List.copyOf(prefer);
        }
    }
}
