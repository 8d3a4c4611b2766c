//! The diesel schema shared by SQLite and PostgreSQL. Written by hand: both sets of
//! migrations must produce exactly these columns (types both engines share).

diesel::table! {
    areas (code) {
        code -> Text,
        level -> Text,
        name_th -> Text,
        name_en -> Text,
        parent_code -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
    }
}

diesel::table! {
    app_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        record_type -> Text,
        record_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        username_key -> Text,
        display_name -> Text,
        role -> Text,
        area_code -> Text,
        province_code -> Nullable<Text>,
        district_code -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Text,
        active -> Bool,
        token_version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The position of the last change, for the sync feed (`db::sync`).
        sync_xid -> BigInt,
        sync_seq -> BigInt,
        /// Set when someone else set the password (import, reset); cleared by a change.
        password_change_required -> Bool,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        spent_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username_key -> Text,
        client_addr -> Text,
        at -> Timestamp,
        succeeded -> Bool,
    }
}

diesel::table! {
    console_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        token_version -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    /// Frequent per-account timestamps, kept off the `users` row.
    account_activity (user_id) {
        user_id -> Text,
        last_sign_in_at -> Nullable<Timestamp>,
        last_sync_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(account_activity -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(console_sessions -> users (user_id));

diesel::table! {
    visits (id) {
        id -> Text,
        author_id -> Text,
        visited_at -> Timestamp,
        received_at -> Timestamp,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        declared_area_code -> Nullable<Text>,
        area_code -> Text,
        province_code -> Text,
        district_code -> Nullable<Text>,
        activity -> Text,
        households_visited -> BigInt,
        people_reached -> BigInt,
        summary -> Text,
        needs -> Text,
        follow_up_needed -> Bool,
        flags -> Text,
        review_status -> Text,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        content_hash -> Text,
        visited_on -> Text,
        /// A bit per target group (`TargetGroup::bit`).
        target_groups -> BigInt,
        /// The later of `received_at` and `reviewed_at`.
        updated_at -> Timestamp,
        photos_expected -> Integer,
        photos_received -> Integer,
        /// The position of the last change, for the sync feed (`db::sync`).
        sync_xid -> BigInt,
        sync_seq -> BigInt,
        household_id -> Nullable<Text>,
        follow_up_by -> Nullable<Date>,
    }
}

diesel::table! {
    visit_photos (id) {
        id -> Text,
        visit_id -> Text,
        sha256 -> Text,
        content_type -> Text,
        bytes -> BigInt,
        uploaded_by -> Text,
        created_at -> Timestamp,
        taken_at -> Nullable<Timestamp>,
        taken_lat -> Nullable<Double>,
        taken_lon -> Nullable<Double>,
        flags -> Text,
    }
}

diesel::joinable!(visit_photos -> visits (visit_id));

diesel::table! {
    grievance_photos (id) {
        id -> Text,
        grievance_id -> Text,
        sha256 -> Text,
        content_type -> Text,
        bytes -> BigInt,
        uploaded_by -> Text,
        created_at -> Timestamp,
        taken_at -> Nullable<Timestamp>,
        taken_lat -> Nullable<Double>,
        taken_lon -> Nullable<Double>,
        flags -> Text,
    }
}

diesel::joinable!(grievance_photos -> grievances (grievance_id));

diesel::table! {
    upload_parts (upload_id, start_offset) {
        upload_id -> Text,
        start_offset -> BigInt,
        end_offset -> BigInt,
        object_key -> Text,
    }
}

diesel::table! {
    uploads (id) {
        id -> Text,
        user_id -> Text,
        record_type -> Text,
        record_id -> Text,
        content_type -> Text,
        upload_length -> BigInt,
        upload_offset -> BigInt,
        metadata -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        photo_id -> Nullable<Text>,
        photo_created -> Nullable<Bool>,
    }
}

diesel::table! {
    grievances (id) {
        id -> Text,
        reporter_id -> Text,
        reported_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        declared_area_code -> Nullable<Text>,
        area_code -> Text,
        province_code -> Text,
        district_code -> Nullable<Text>,
        category -> Text,
        priority -> Text,
        title -> Text,
        description -> Text,
        target_groups -> Text,
        visit_id -> Nullable<Text>,
        complainant_name -> Nullable<Text>,
        complainant_consent -> Nullable<Bool>,
        phone_cipher -> Nullable<Text>,
        phone_hash -> Nullable<Text>,
        phone_last4 -> Nullable<Text>,
        national_id_cipher -> Nullable<Text>,
        national_id_hash -> Nullable<Text>,
        national_id_last4 -> Nullable<Text>,
        status -> Text,
        version -> BigInt,
        assignee_id -> Nullable<Text>,
        referred_to -> Nullable<Text>,
        due_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        reopen_count -> BigInt,
        overdue_notified -> Bool,
        content_hash -> Text,
        anonymised_at -> Nullable<Timestamp>,
        duplicate_of -> Nullable<Text>,
        photos_expected -> Integer,
        photos_received -> Integer,
        /// The position of the last change, for the sync feed (`db::sync`).
        sync_xid -> BigInt,
        sync_seq -> BigInt,
        flags -> Text,
        household_id -> Nullable<Text>,
    }
}

diesel::table! {
    grievance_events (id) {
        id -> Text,
        grievance_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Text,
        note -> Nullable<Text>,
        at -> Timestamp,
        elapsed_seconds -> BigInt,
    }
}

diesel::table! {
    plans (user_id, fiscal_year) {
        user_id -> Text,
        fiscal_year -> Integer,
        weekly_field_days -> Integer,
        visits_target -> Integer,
        households_target -> Integer,
        grievances_resolved_target -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grievance_comments (id) {
        id -> Text,
        grievance_id -> Text,
        author_id -> Text,
        body -> Text,
        internal -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_outbox (id) {
        id -> BigInt,
        delivery_id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        grievance_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// Records that left a user's sync set without leaving the query that finds them.
    sync_removals (id) {
        id -> BigInt,
        user_id -> Text,
        kind -> Text,
        record_id -> Text,
        created_at -> Timestamp,
        sync_xid -> BigInt,
        sync_seq -> BigInt,
    }
}

diesel::joinable!(grievance_events -> grievances (grievance_id));
diesel::joinable!(grievance_comments -> grievances (grievance_id));

diesel::table! {
    households (id) {
        id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        area_code -> Text,
        province_code -> Text,
        district_code -> Nullable<Text>,
        address -> Nullable<Text>,
        consent -> Bool,
        target_groups -> BigInt,
        version -> BigInt,
        content_hash -> Text,
        sync_xid -> BigInt,
        sync_seq -> BigInt,
        last_visit_at -> Nullable<Timestamp>,
        next_visit_due -> Nullable<Date>,
    }
}

diesel::table! {
    household_members (id) {
        id -> Text,
        household_id -> Text,
        position -> BigInt,
        name -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
        sex -> Nullable<Text>,
        target_groups -> BigInt,
        phone_cipher -> Nullable<Text>,
        phone_hash -> Nullable<Text>,
        phone_last4 -> Nullable<Text>,
        national_id_cipher -> Nullable<Text>,
        national_id_hash -> Nullable<Text>,
        national_id_last4 -> Nullable<Text>,
        notes -> Nullable<Text>,
        removed -> Bool,
    }
}

diesel::table! {
    household_events (id) {
        id -> Text,
        household_id -> Text,
        version -> BigInt,
        action -> Text,
        changes -> Text,
        actor_id -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(household_members -> households (household_id));
diesel::joinable!(household_events -> households (household_id));

diesel::table! {
    /// A household that moved: its old area's codes, read by that area's phones as a
    /// removal (migration 21).
    household_departures (id) {
        id -> BigInt,
        household_id -> Text,
        area_code -> Text,
        province_code -> Text,
        district_code -> Nullable<Text>,
        created_at -> Timestamp,
        sync_xid -> BigInt,
        sync_seq -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    areas,
    app_meta,
    audit_log,
    users,
    refresh_tokens,
    console_sessions,
    account_activity,
    login_attempts,
    visits,
    visit_photos,
    grievance_photos,
    uploads,
    grievances,
    grievance_events,
    grievance_comments,
    webhook_outbox,
    plans,
    sync_removals,
    households,
    household_members,
    household_events,
    household_departures,
);
