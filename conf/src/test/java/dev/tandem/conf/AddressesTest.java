package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Edge cases of {@link HostPort} and {@link Cidr}, directly and as the config reads them. */
class AddressesTest {

    @Test
    void hostPortForms() {
        assertEquals(new HostPort("::1", 80), HostPort.parse("[::1]:80", -1));
        assertEquals("[::1]:80", HostPort.parse("[::1]:80", -1).toString());
        assertEquals(new HostPort("10.0.0.21", 8000), HostPort.parse("10.0.0.21:8000", -1));
        assertEquals(new HostPort("backend.internal", 0), HostPort.parse("backend.internal:0", -1));
        assertEquals(new HostPort("2001:db8::1", 443), HostPort.parse("2001:db8::1", 443));
        assertEquals(new HostPort("example.com", 80), HostPort.parse("example.com", 80));
    }

    @Test
    void hostPortRefusals() {
        assertEquals("10.0.0.1:65536 (expected: a port of 0-65535)",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("10.0.0.1:65536", -1)).getMessage());
        assertEquals("10.0.0.1:-1 (expected: a port of 0-65535)",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("10.0.0.1:-1", -1)).getMessage());
        assertEquals("10.0.0.1 (expected: host:port, the port is missing)",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("10.0.0.1", -1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[::1", -1));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[10.0.0.1]:80", -1));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[::1]80", -1));
        // A bare ":80" has no host; only bind addresses read it as 0.0.0.0 (see below).
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(":80", -1));
    }

    @Test
    void bindAddressesAsTheConfigReadsThem() throws ConfigException {
        assertEquals(new HostPort("0.0.0.0", 80), bind(":80"));
        assertEquals(new HostPort("::1", 80), bind("\"[::1]:80\""));
        assertEquals(new HostPort("127.0.0.1", 0), bind("127.0.0.1:0"));
        assertEquals(new HostPort("localhost", 8080), bind("localhost:8080"));
    }

    @Test
    void serverAddressesNeedAConnectablePort() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("t.yaml", """
                listeners: [{name: a, bind: ":80"}]
                upstreams: {web: {servers: [{address: "[::1]:0"}]}}
                """, Path.of("/")));
        assertEquals("t.yaml:2:39: upstreams.web.servers[0].address: '[::1]:0' (expected: a port of 1-65535)",
                e.errors().get(0).toString());
    }

    @Test
    void cidrForms() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertEquals(8, ten.prefix());
        assertTrue(ten.contains(InetAddress.getByName("10.255.1.2")));
        assertFalse(ten.contains(InetAddress.getByName("11.0.0.1")));
        assertTrue(ten.contains(InetAddress.getByName("::ffff:10.1.2.3")), "v4-mapped v6");
        assertEquals("10.0.0.0/8", Cidr.parse("10.1.2.3/8").toString(), "host bits are masked off");
        assertEquals(32, Cidr.parse("192.0.2.1").prefix());
        assertEquals(128, Cidr.parse("2001:db8::1").prefix());
        assertEquals(Cidr.parse("2001:db8::/32"), Cidr.parse("2001:db8:ffff::/32"));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9")));
    }

    @Test
    void cidrRefusals() {
        assertEquals("10.0.0.0/33 (expected: a prefix length of 0-32)",
                assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33")).getMessage());
        assertEquals("2001:db8::/129 (expected: a prefix length of 0-128)",
                assertThrows(IllegalArgumentException.class, () -> Cidr.parse("2001:db8::/129")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/x"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/-1"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("256.0.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("example.com/8"), "never a DNS lookup");
    }

    private static HostPort bind(String yaml) throws ConfigException {
        return ConfigLoader.parse("t.yaml", "listeners:\n  - name: a\n    bind: " + yaml + "\n", Path.of("/"))
                .listeners().get(0).bind();
    }
}
