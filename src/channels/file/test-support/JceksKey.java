// Test oracle: prints the hex of a secret key in a JCEKS keystore, as Java reads it.
// Usage: java JceksKey.java <keystore> <storePassword> <alias> <keyPassword>
import java.io.FileInputStream;
import java.security.Key;
import java.security.KeyStore;

public class JceksKey {
  public static void main(String[] args) throws Exception {
    KeyStore ks = KeyStore.getInstance("JCEKS");
    try (FileInputStream in = new FileInputStream(args[0])) {
      ks.load(in, args[1].toCharArray());
    }
    Key k = ks.getKey(args[2], args[3].toCharArray());
    StringBuilder sb = new StringBuilder();
    for (byte b : k.getEncoded()) sb.append(String.format("%02x", b));
    System.out.println(sb);
  }
}
