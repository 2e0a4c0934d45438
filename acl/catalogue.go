package acl

// This file holds the built-in catalogue of standard roles and access control
// groups. It is rebuilt by every call, so that no caller can change what
// another caller sees: there is no package-level slice or map to mutate.
//
// The catalogue follows the standard roles and groups of the administration
// model we mirror, limited to the ones whose groups the portal ships. Several
// standard roles govern features this portal does not have (AXL, CAR,
// reporting, gateways, ...). They carry no privileges here but are kept, so
// that every standard group carries the same roles as in that model and a
// later feature can be gated on the role without a data migration.

// Resources that the portal's pages and APIs check.
const (
	// ResourceSelfCare is the Self Care portal itself: Read to see one's own
	// settings, Update to change them. Logging in to Self Care is decided by
	// the role, see [Grant.SelfCare], not by this privilege.
	ResourceSelfCare Resource = "selfcare"
	// ResourceAdmin is the administration interface; Read is enough to log in.
	ResourceAdmin Resource = "admin"
	// ResourceUsers is end users: their names, rank, profile and credentials.
	ResourceUsers Resource = "users"
	// ResourceGroups is access control groups, their members, and roles.
	ResourceGroups Resource = "groups"
	// ResourceEnterpriseParameters is the enterprise parameters.
	ResourceEnterpriseParameters Resource = "enterprise-parameters"
	// ResourceServiceParameters is the service parameters.
	ResourceServiceParameters Resource = "service-parameters"
	// ResourceUserProfiles is the user profiles.
	ResourceUserProfiles Resource = "user-profiles"
	// ResourceDevices is phones and their lines.
	ResourceDevices Resource = "devices"
	// ResourceActivationCodes is the activation codes of devices awaiting
	// onboarding.
	ResourceActivationCodes Resource = "activation-codes"
	// ResourceAudit is the audit trail.
	ResourceAudit Resource = "audit"
)

// Resources returns every resource the portal checks, in the order of the
// constants above. The slice is the caller's to keep.
func Resources() []Resource {
	rs := append([]Resource{ResourceSelfCare, ResourceAdmin}, AdminResources()...)
	return append(rs, ResourceAudit)
}

// AdminResources returns the resources behind the administration pages that
// the standard roles [RoleStandardCCMADMINAdministration] and
// [RoleStandardCCMADMINReadOnly] cover. The audit trail is not among them:
// as in the model we follow, it belongs to serviceability and audit roles.
func AdminResources() []Resource {
	return []Resource{
		ResourceUsers,
		ResourceGroups,
		ResourceEnterpriseParameters,
		ResourceServiceParameters,
		ResourceUserProfiles,
		ResourceDevices,
		ResourceActivationCodes,
	}
}

// IDs of the standard roles. They are stable: stores and other processes
// refer to roles by ID, so a constant must never change its value.
const (
	RoleStandardCCMEndUsers            = "standard-ccm-end-users"
	RoleStandardCCMUSERAdministration  = "standard-ccmuser-administration"
	RoleStandardCCMAdminUsers          = "standard-ccm-admin-users"
	RoleStandardCCMADMINAdministration = "standard-ccmadmin-administration"
	RoleStandardCCMADMINReadOnly       = "standard-ccmadmin-read-only"
	RoleStandardCCMSystemManagement    = "standard-ccm-system-management"
	RoleStandardCCMPhoneManagement     = "standard-ccm-phone-management"
	RoleStandardCCMGatewayManagement   = "standard-ccm-gateway-management"
	RoleStandardCCMFeatureManagement   = "standard-ccm-feature-management"
	RoleStandardCCMServiceManagement   = "standard-ccm-service-management"
	RoleStandardServiceability         = "standard-serviceability"
	RoleStandardServiceabilityReadOnly = "standard-serviceability-read-only"
	RoleStandardAuditLogAdministration = "standard-audit-log-administration"
	RoleStandardAXLAPIAccess           = "standard-axl-api-access"
	RoleStandardAdminRepToolAdmin      = "standard-admin-rep-tool-admin"
	RoleStandardCUReporting            = "standard-cureporting"
	RoleStandardEMAuthProxyRights      = "standard-em-authentication-proxy-rights"
)

// IDs of the standard access control groups, stable like the role IDs. A
// group and a role may share an ID: they are looked up separately.
const (
	GroupStandardCCMEndUsers              = "standard-ccm-end-users"
	GroupStandardCCMAdminUsers            = "standard-ccm-admin-users"
	GroupStandardCCMSuperUsers            = "standard-ccm-super-users"
	GroupStandardCCMReadOnly              = "standard-ccm-read-only"
	GroupStandardCCMServerMaintenance     = "standard-ccm-server-maintenance"
	GroupStandardCCMServerMonitoring      = "standard-ccm-server-monitoring"
	GroupStandardCCMPhoneAdministration   = "standard-ccm-phone-administration"
	GroupStandardCCMGatewayAdministration = "standard-ccm-gateway-administration"
	GroupStandardAuditUsers               = "standard-audit-users"
)

// User ranks. Rank 1 is the highest. A user of rank r may join a group whose
// [Group.MinRank] is r or more, so a group with requirement 1 accepts only
// rank-1 users.
const (
	HighestRank = 1
	LowestRank  = 10
	// DefaultRank is the rank of users and the requirement of groups,
	// standard ones included, until an administrator changes it. Because
	// both sides default to 1, rank plays no part until it is used: an
	// administrator who gives users a lower rank (a higher number) must
	// also raise the requirement of the groups those users need.
	DefaultRank = 1
)

// StandardRoles returns the standard roles ordered by ID. Each call builds
// new values, so the caller may change them freely.
func StandardRoles() []Role {
	all := grantAll(Update, AdminResources())
	readAll := grantAll(Read, AdminResources())
	roles := []Role{
		{ID: RoleStandardAdminRepToolAdmin, Name: "Standard Admin Rep Tool Admin"},
		{
			ID:         RoleStandardAuditLogAdministration,
			Name:       "Standard Audit Log Administration",
			Privileges: []Privilege{{ResourceAudit, Update}},
		},
		{ID: RoleStandardAXLAPIAccess, Name: "Standard AXL API Access"},
		{
			ID:         RoleStandardCCMAdminUsers,
			Name:       "Standard CCM Admin Users",
			Privileges: []Privilege{{ResourceAdmin, Read}},
		},
		// Both end-user roles carry Update, so that the Minimum overlap
		// policy cannot leave a standard end user with a read-only portal.
		{
			ID:         RoleStandardCCMEndUsers,
			Name:       "Standard CCM End Users",
			Privileges: []Privilege{{ResourceSelfCare, Update}},
		},
		{ID: RoleStandardCCMFeatureManagement, Name: "Standard CCM Feature Management"},
		{ID: RoleStandardCCMGatewayManagement, Name: "Standard CCM Gateway Management"},
		{
			ID:   RoleStandardCCMPhoneManagement,
			Name: "Standard CCM Phone Management",
			Privileges: []Privilege{
				{ResourceActivationCodes, Update},
				{ResourceDevices, Update},
			},
		},
		{ID: RoleStandardCCMServiceManagement, Name: "Standard CCM Service Management"},
		{
			ID:   RoleStandardCCMSystemManagement,
			Name: "Standard CCM System Management",
			Privileges: []Privilege{
				{ResourceEnterpriseParameters, Update},
				{ResourceServiceParameters, Update},
			},
		},
		{
			ID:         RoleStandardCCMADMINAdministration,
			Name:       "Standard CCMADMIN Administration",
			Privileges: all,
		},
		{
			ID:         RoleStandardCCMADMINReadOnly,
			Name:       "Standard CCMADMIN Read Only",
			Privileges: readAll,
		},
		{
			ID:         RoleStandardCCMUSERAdministration,
			Name:       "Standard CCMUSER Administration",
			Privileges: []Privilege{{ResourceSelfCare, Update}},
		},
		{ID: RoleStandardCUReporting, Name: "Standard CUReporting"},
		{ID: RoleStandardEMAuthProxyRights, Name: "Standard EM Authentication Proxy Rights"},
		{
			ID:         RoleStandardServiceability,
			Name:       "Standard SERVICEABILITY",
			Privileges: []Privilege{{ResourceAudit, Read}},
		},
		{
			ID:         RoleStandardServiceabilityReadOnly,
			Name:       "Standard SERVICEABILITY Read Only",
			Privileges: []Privilege{{ResourceAudit, Read}},
		},
	}
	for i := range roles {
		roles[i].Standard = true
		sortPrivileges(roles[i].Privileges)
	}
	sortRoles(roles)
	return roles
}

// StandardGroups returns the standard access control groups ordered by ID,
// each with requirement [DefaultRank]. Each call builds new values.
func StandardGroups() []Group {
	admin := func(extra ...string) []string {
		return append([]string{RoleStandardCCMAdminUsers}, extra...)
	}
	groups := []Group{
		{
			ID:      GroupStandardAuditUsers,
			Name:    "Standard Audit Users",
			RoleIDs: []string{RoleStandardAuditLogAdministration},
		},
		{
			ID:      GroupStandardCCMAdminUsers,
			Name:    "Standard CCM Admin Users",
			RoleIDs: admin(),
		},
		{
			ID:      GroupStandardCCMEndUsers,
			Name:    "Standard CCM End Users",
			RoleIDs: []string{RoleStandardCCMEndUsers, RoleStandardCCMUSERAdministration},
		},
		{
			ID:   GroupStandardCCMGatewayAdministration,
			Name: "Standard CCM Gateway Administration",
			RoleIDs: admin(RoleStandardCCMADMINReadOnly,
				RoleStandardCCMGatewayManagement),
		},
		{
			ID:   GroupStandardCCMPhoneAdministration,
			Name: "Standard CCM Phone Administration",
			RoleIDs: admin(RoleStandardCCMADMINReadOnly,
				RoleStandardCCMPhoneManagement),
		},
		{
			ID:   GroupStandardCCMReadOnly,
			Name: "Standard CCM Read Only",
			RoleIDs: admin(RoleStandardCCMADMINReadOnly,
				RoleStandardServiceabilityReadOnly),
		},
		{
			ID:   GroupStandardCCMServerMaintenance,
			Name: "Standard CCM Server Maintenance",
			RoleIDs: admin(RoleStandardCCMADMINReadOnly,
				RoleStandardCCMFeatureManagement,
				RoleStandardCCMServiceManagement,
				RoleStandardCCMSystemManagement),
		},
		{
			ID:   GroupStandardCCMServerMonitoring,
			Name: "Standard CCM Server Monitoring",
			RoleIDs: admin(RoleStandardCCMADMINReadOnly,
				RoleStandardServiceability),
		},
		{
			ID:   GroupStandardCCMSuperUsers,
			Name: "Standard CCM Super Users",
			RoleIDs: admin(RoleStandardCCMADMINAdministration,
				RoleStandardAXLAPIAccess,
				RoleStandardAdminRepToolAdmin,
				RoleStandardCUReporting,
				RoleStandardEMAuthProxyRights,
				RoleStandardServiceability),
		},
	}
	for i := range groups {
		groups[i].Standard = true
		groups[i].MinRank = DefaultRank
		groups[i].RoleIDs = normaliseIDs(groups[i].RoleIDs)
	}
	sortGroups(groups)
	return groups
}

// StandardRole returns the standard role with the given ID, or false.
func StandardRole(id string) (Role, bool) {
	for _, r := range StandardRoles() {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// StandardGroup returns the standard group with the given ID, or false.
func StandardGroup(id string) (Group, bool) {
	for _, g := range StandardGroups() {
		if g.ID == id {
			return g, true
		}
	}
	return Group{}, false
}

func grantAll(a Access, rs []Resource) []Privilege {
	ps := make([]Privilege, len(rs))
	for i, r := range rs {
		ps[i] = Privilege{Resource: r, Access: a}
	}
	return ps
}
