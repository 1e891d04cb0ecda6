package dev.tokenkeeper.demo;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * {@code /api/*}: the proposals a user owns or collaborates on, and inviting collaborators (the
 * feature the origin system lost whenever its tokens were lost).
 */
final class ProposalServlet extends JsonServlet {

  private static final long serialVersionUID = 1L;
  private static final String PREFIX = "/proposals/";
  private static final String COLLABORATORS = "/collaborators";
  private static final int MAX_TITLE = 200;

  private final transient ProposalStore proposals;

  ProposalServlet(ProposalStore proposals) {
    this.proposals = proposals;
  }

  @Override
  void route(String method, String path, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    if (path.equals("/proposals")) {
      switch (method) {
        case "GET" -> list(request, response);
        case "POST" -> create(request, response);
        default -> throw methodNotAllowed(response, "GET, POST");
      }
    } else if (path.startsWith(PREFIX) && path.endsWith(COLLABORATORS)
        && path.length() > PREFIX.length() + COLLABORATORS.length()) {
      if (!method.equals("POST")) {
        throw methodNotAllowed(response, "POST");
      }
      String id = path.substring(PREFIX.length(), path.length() - COLLABORATORS.length());
      invite(id, request, response);
    } else {
      throw noRoute();
    }
  }

  private void list(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String user = session(request).subject();
    Json.write(response, 200, Map.of("proposals", proposals.visibleTo(user)));
  }

  private void create(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String user = session(request).subject();
    String title = Json.text(Json.readObject(request), "title", MAX_TITLE);
    if (title.isBlank() || title.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.badRequest("'title' must be visible text without control characters");
    }
    Json.write(response, 201, proposals.create(user, title.strip()));
  }

  private void invite(String id, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String user = session(request).subject();
    String invitee = Json.text(Json.readObject(request), "username", 256);
    // One answer for a proposal that does not exist and one the caller may not see.
    Proposal proposal = proposals.find(id)
        .filter(p -> p.isVisibleTo(user))
        .orElseThrow(() -> ApiException.notFound("no such proposal"));
    if (!proposal.owner().equals(user)) {
      throw new ApiException(403, "forbidden", "only the owner may invite collaborators");
    }
    if (!Accounts.exists(invitee)) {
      throw ApiException.notFound("no such user");
    }
    Json.write(response, 200, proposals.addCollaborator(proposal, invitee));
  }
}
