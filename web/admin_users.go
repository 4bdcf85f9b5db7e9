package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

type accountRow struct {
	app.AdminAccount
	RoleLabel string
	LastLogin string
	Locked    bool
	Self      bool
	// TwoFactor says the account has two-factor sign-in on.
	TwoFactor bool
}

type usersData struct {
	Rows        []accountRow
	Roles       []option
	Email       string
	Role        string
	Message     string
	Errors      map[string]string
	NewEmail    string
	NewPassword string
	// Reset is a password reset to show once.
	Reset *passwordResetView
	// TwoFactorOn says two-factor sign-in is available; Required that
	// owners require it; SSO names the single sign-on provider.
	TwoFactorOn, TwoFactorRequired bool
	SSO                            string
}

// passwordResetView shows a reset password once, with what else the
// reset did.
type passwordResetView struct {
	Email, Password, Note string
}

func roleOptions(loc string) []option {
	var out []option
	for _, r := range []app.Role{app.RoleMarketer, app.RolePrivacyOfficer, app.RoleOwner} {
		out = append(out, option{string(r), templates.T(loc, "admin.role."+string(r))})
	}
	return out
}

func (s *Server) usersData(c *fiber.Ctx) (usersData, error) {
	loc, now, me := adminLocale(c), time.Now().UTC(), currentAdmin(c)
	list, err := s.deps.Auth.Accounts(c.UserContext())
	if err != nil {
		return usersData{}, err
	}
	d := usersData{Roles: roleOptions(loc), Role: string(app.RoleMarketer), SSO: s.ssoName()}
	enrolled := map[int64]bool{}
	if s.deps.TwoFactor != nil {
		d.TwoFactorOn = true
		if enrolled, err = s.deps.TwoFactor.TwoFactorAdmins(c.UserContext()); err != nil {
			return usersData{}, err
		}
		if d.TwoFactorRequired, err = s.deps.TwoFactor.TwoFactorRequired(c.UserContext()); err != nil {
			return usersData{}, err
		}
	}
	for _, a := range list {
		d.Rows = append(d.Rows, accountRow{AdminAccount: a, RoleLabel: templates.T(loc, "admin.role."+string(a.Role)),
			LastLogin: s.localTimePtr(a.LastLoginAt), Locked: a.LockedUntil != nil && a.LockedUntil.After(now), Self: a.ID == me.ID,
			TwoFactor: enrolled[a.ID]})
	}
	return d, nil
}

// adminUsers lists the console's accounts, for owners.
func (s *Server) adminUsers(c *fiber.Ctx) error { return showSection(s, c, "users", s.usersData) }

// adminCreateUser creates an account and shows its generated password
// once (on this page, never in a URL).
func (s *Server) adminCreateUser(c *fiber.Ctx) error {
	email, role := strings.TrimSpace(c.FormValue("email")), c.FormValue("role")
	a, password, cerr := s.deps.Auth.CreateAccount(c.UserContext(), currentAdmin(c), email, app.Role(role))
	d, err := s.usersData(c)
	if err != nil {
		return err
	}
	status, msg, fields, err := formOutcome(adminLocale(c), cerr)
	if err != nil {
		return err
	}
	if cerr == nil {
		d.NewEmail, d.NewPassword = a.Email, password
	} else {
		d.Email, d.Role, d.Message, d.Errors = email, role, msg, fields
	}
	return s.sectionPage(c, status, "users", d)
}

// adminUserAction changes an account and goes back to the list.
func (s *Server) adminUserAction(c *fiber.Ctx, do func(id int64) error, ok string) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := do(id); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT || app.ErrorCode(err) == app.EINVALID {
			d, derr := s.usersData(c)
			if derr != nil {
				return derr
			}
			d.Message = app.ErrorMessage(err)
			return s.sectionPage(c, fiber.StatusConflict, "users", d)
		}
		return err
	}
	return redirectOK(c, "/admin/users", ok)
}

// adminSetRole changes another account's role.
func (s *Server) adminSetRole(c *fiber.Ctx) error {
	return s.adminUserAction(c, func(id int64) error {
		return s.deps.Auth.SetRole(c.UserContext(), currentAdmin(c), id, app.Role(c.FormValue("role")))
	}, "admin.ok.role")
}

// adminUnlockUser lifts a sign-in lockout.
func (s *Server) adminUnlockUser(c *fiber.Ctx) error {
	return s.adminUserAction(c, func(id int64) error {
		return s.deps.Auth.Unlock(c.UserContext(), currentAdmin(c), id)
	}, "admin.ok.unlocked")
}

// adminResetPassword gives another account a new generated password and
// shows it once (on this page, never in a URL). The account's sessions
// end; its API tokens are revoked only when the owner asks.
func (s *Server) adminResetPassword(c *fiber.Ctx) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	loc := adminLocale(c)
	res, rerr := s.deps.Auth.ResetPassword(c.UserContext(), currentAdmin(c), id, truthy(c.FormValue("revoke_tokens")))
	d, err := s.usersData(c)
	if err != nil {
		return err
	}
	if rerr != nil {
		if app.ErrorCode(rerr) != app.ECONFLICT {
			return rerr
		}
		d.Message = app.ErrorMessage(rerr)
		return s.sectionPage(c, fiber.StatusConflict, "users", d)
	}
	note := templates.T(loc, "admin.users.reset.kept", res.Sessions)
	if truthy(c.FormValue("revoke_tokens")) {
		note = templates.T(loc, "admin.users.reset.revoked", res.Sessions, res.Tokens)
	}
	d.Reset = &passwordResetView{Email: res.Admin.Email, Password: res.Password, Note: note}
	return s.sectionPage(c, fiber.StatusOK, "users", d)
}

// adminDeleteUser deletes another account.
func (s *Server) adminDeleteUser(c *fiber.Ctx) error {
	return s.adminUserAction(c, func(id int64) error {
		return s.deps.Auth.DeleteAccount(c.UserContext(), currentAdmin(c), id)
	}, "admin.ok.deleted")
}

type tokenRow struct {
	app.APITokenInfo
	Created  string
	LastUsed string
}

type tokensData struct {
	Rows     []tokenRow
	Accounts []app.AdminAccount
	AdminID  int64
	Name     string
	Message  string
	Errors   map[string]string
	NewToken string
}

func (s *Server) tokensData(c *fiber.Ctx) (tokensData, error) {
	ctx := c.UserContext()
	list, err := s.deps.Auth.Tokens(ctx)
	if err != nil {
		return tokensData{}, err
	}
	accounts, err := s.deps.Auth.Accounts(ctx)
	if err != nil {
		return tokensData{}, err
	}
	d := tokensData{Accounts: accounts, AdminID: currentAdmin(c).ID}
	for _, t := range list {
		d.Rows = append(d.Rows, tokenRow{APITokenInfo: t, Created: s.localTime(t.CreatedAt), LastUsed: s.localTimePtr(t.LastUsedAt)})
	}
	return d, nil
}

// adminTokens lists API tokens, for owners.
func (s *Server) adminTokens(c *fiber.Ctx) error { return showSection(s, c, "tokens", s.tokensData) }

// adminCreateToken creates an API token and shows it once.
func (s *Server) adminCreateToken(c *fiber.Ctx) error {
	adminID, _ := strconv.ParseInt(c.FormValue("admin_id"), 10, 64)
	name := c.FormValue("name")
	token, cerr := s.deps.Auth.CreateToken(c.UserContext(), currentAdmin(c), adminID, name)
	d, err := s.tokensData(c)
	if err != nil {
		return err
	}
	status, msg, fields, err := formOutcome(adminLocale(c), cerr)
	if err != nil {
		return err
	}
	if cerr == nil {
		d.NewToken = token
	} else {
		d.AdminID, d.Name, d.Message, d.Errors = adminID, name, msg, fields
	}
	return s.sectionPage(c, status, "tokens", d)
}

// adminRevokeToken deletes an API token.
func (s *Server) adminRevokeToken(c *fiber.Ctx) error {
	if _, err := actOnID(c, s.deps.Auth.RevokeToken); err != nil {
		return err
	}
	return redirectOK(c, "/admin/tokens", "admin.ok.revoked")
}
