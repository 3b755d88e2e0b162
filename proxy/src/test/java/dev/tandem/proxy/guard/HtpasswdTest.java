package dev.tandem.proxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;

/** Parsing htpasswd lines, bcrypt checks, and what is decided without bcrypt. */
class HtpasswdTest {

    private static String hash(String password) {
        return OpenBSDBCrypt.generate("2y", password.toCharArray(), new byte[16], 4);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void onlyBcryptEntriesAreTaken() {
        Htpasswd.Parse p = Htpasswd.parse(List.of("# comment", "", "alice:" + hash("a"), "bob:$apr1$x$y", "carol",
                "dave:" + hash("d").replace("$2y$", "$2b$") + ":a comment", "alice:" + hash("again"), "erin:secret"));
        assertNull(p.htpasswd());
        assertEquals(List.of(
                "line 4: user 'bob' has a non-bcrypt ($apr1$ MD5) entry (expected: bcrypt, as written by htpasswd -B)",
                "line 5: not user:hash",
                "line 7: user 'alice' appears again",
                "line 8: user 'erin' has a non-bcrypt (crypt or plain text) entry (expected: bcrypt, as written by htpasswd -B)"),
                p.problems());
    }

    @Test
    void verifiesAndRemembersBothWays() {
        Htpasswd h = Htpasswd.parse(List.of("alice:" + hash("wonderland"), "bob:" + hash("b").replace("$2y$", "$2a$")))
                .htpasswd();
        assertEquals(2, h.users());
        String right = basic("alice", "wonderland");
        String wrong = basic("alice", "mirror");
        assertEquals(Htpasswd.Quick.VERIFY, h.remembered(Htpasswd.key(right)));
        assertTrue(h.verify(Htpasswd.key(right), right));
        assertEquals(Htpasswd.Quick.ALLOWED, h.remembered(Htpasswd.key(right)));
        assertFalse(h.verify(Htpasswd.key(wrong), wrong));
        assertEquals(Htpasswd.Quick.REFUSED, h.remembered(Htpasswd.key(wrong)));
        assertTrue(h.verify("k", basic("bob", "b")), "$2a$ too");
    }

    @Test
    void whatNeedsNoBcryptIsRefusedAtOnce() {
        Htpasswd h = Htpasswd.parse(List.of("alice:" + hash("wonderland"))).htpasswd();
        assertEquals(Htpasswd.Quick.REFUSED, h.inspect(null));
        assertEquals(Htpasswd.Quick.REFUSED, h.inspect("Bearer x"));
        assertEquals(Htpasswd.Quick.REFUSED, h.inspect("Basic %%%"));
        assertEquals(Htpasswd.Quick.REFUSED, h.inspect(basic("mallory", "x")), "no such user");
        assertEquals(Htpasswd.Quick.REFUSED, h.inspect("Basic " + "QQ==".repeat(400)), "longer than any credentials");
        assertEquals(Htpasswd.Quick.VERIFY, h.inspect(basic("alice", "x")));
        assertEquals(Htpasswd.Quick.VERIFY, h.inspect("basic " + basic("alice", "x").substring(6)), "the scheme is case-blind");
    }

    @Test
    void aPasswordLongerThanBcryptTakesIsCutAsHtpasswdCutsIt() {
        String longPassword = "p".repeat(100);
        Htpasswd h = Htpasswd.parse(List.of("alice:" + OpenBSDBCrypt.generate("2y", "p".repeat(72).toCharArray(),
                new byte[16], 4))).htpasswd();
        assertTrue(h.verify("k", basic("alice", longPassword)));
    }
}
